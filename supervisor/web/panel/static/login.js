/*
 * login.js: the login page.  A one-time link arrives as
 * /login#token=HEX: the fragment never reaches the server, so the page
 * posts the token itself, drops it from the address and the history
 * (history.replaceState) and goes to the panel.  Without one, or when
 * it was refused, the user name and password form.
 */
import { request, pages } from './api.js';
import { byId, say } from './dom.js';

function goPanel() {
	location.replace(pages.panel);
}

async function withToken(token) {
	say('Logging in with the link...');
	try {
		await request('POST', '/api/session', { token });
		goPanel();
	} catch (e) {
		say(e.message, true);
		showForm();
	}
}

function showForm() {
	const form = byId('login-form');
	form.hidden = false;
	byId('login-user').focus();
}

async function withPassword(ev) {
	ev.preventDefault();
	const user = byId('login-user').value.trim();
	const password = byId('login-password').value;
	const button = byId('login-submit');
	button.disabled = true;
	say('Logging in...');
	try {
		await request('POST', '/api/session', { user, password });
		byId('login-password').value = '';
		goPanel();
	} catch (e) {
		byId('login-password').value = '';
		say(e.message, true);
		button.disabled = false;
	}
}

/* the token in the address's fragment, if any, taken out of it */
async function fromHash() {
	const hash = location.hash;
	if (hash === '')
		return false;
	history.replaceState(null, '', location.pathname);
	const m = /^#token=([0-9a-f]{64})$/.exec(hash);
	if (m !== null) {
		await withToken(m[1]);
		return true;
	}
	if (hash.startsWith('#token=')) {
		say('The login link is not valid (cut short or mistyped): ' +
		    'log in below, or ask for a new link.', true);
		showForm();
		return true;
	}
	return false;
}

async function main() {
	byId('login-form').addEventListener('submit', withPassword);
	/* a link opened in the tab that shows this page already */
	window.addEventListener('hashchange', fromHash);
	if (await fromHash())
		return;
	/* already logged in: straight to the panel */
	try {
		await request('GET', '/api/session');
		goPanel();
		return;
	} catch (e) {
		/* no session: the form */
	}
	showForm();
}

main();
