/*
 * api.js: the one way the panel's pages talk to fws-web: the session
 * (who is logged in, the CSRF token every state-changing request
 * carries), JSON requests to /api and their errors, the WebSockets'
 * addresses, and where each page lives.  It knows nothing of the page.
 */

export const pages = {
	panel: '/',
	login: '/login',
	vm: '/vm.html',
};

/* A refusal from fws-web or fwsd: code (e.g. "not_found") and message. */
export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

let session = null;

/*
 * The live session ({user, uid, admin, csrf}), or a move to the login
 * page (and a promise that never settles) when there is none.
 */
export async function needSession() {
	try {
		session = await request('GET', '/api/session');
		return session;
	} catch (e) {
		if (e.status === 401) {
			location.replace(pages.login);
			return new Promise(() => {});
		}
		throw e;
	}
}

export function currentSession() {
	return session;
}

/*
 * method path [body]: fws-web's "result", or an ApiError.  Cookies go
 * with it (same origin only); every method but GET carries the CSRF
 * token.  A 401 (the session ended) sends the page to the login page.
 */
export async function request(method, path, body) {
	const headers = { 'Accept': 'application/json' };
	const init = { method, headers, credentials: 'same-origin',
	    cache: 'no-store', redirect: 'error' };
	if (method !== 'GET') {
		if (session !== null)
			headers['X-CSRF-Token'] = session.csrf;
		if (body !== undefined) {
			headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
	}
	let reply;
	try {
		reply = await fetch(path, init);
	} catch (e) {
		throw new ApiError(0, 'unreachable',
		    'the panel\'s server cannot be reached');
	}
	let data = null;
	try {
		data = await reply.json();
	} catch (e) {
		data = null;
	}
	if (reply.ok) {
		if (data !== null && typeof data === 'object' &&
		    'result' in data)
			return data.result;
		return data;
	}
	const err = data !== null && typeof data === 'object' &&
	    data.error && typeof data.error === 'object' ? data.error : {};
	const e = new ApiError(reply.status,
	    typeof err.code === 'string' ? err.code : 'http_' + reply.status,
	    typeof err.message === 'string' ? err.message :
	    reply.status + ' ' + reply.statusText);
	if (reply.status === 401 && session !== null &&
	    !path.startsWith('/api/session'))
		location.replace(pages.login);
	throw e;
}

/* path segment of a VM's, snapshot's name (checked by fws-web again) */
export function seg(s) {
	return encodeURIComponent(String(s));
}

/* "?owner=UID" for another user's VM (an admin's view), else '' */
function ownerQuery(owner) {
	return typeof owner === 'number' && session !== null &&
	    owner !== session.uid ? '?owner=' + owner : '';
}

/*
 * A VM's API path: /api/vms/NAME[/more], naming its owner when it is
 * not the user's own (an admin may have a VM of the same name).
 */
export function vmPath(name, more, owner) {
	return '/api/vms/' + seg(name) + (more ? '/' + more : '') +
	    ownerQuery(owner);
}

/*
 * wss://HOST/ws/KIND[/NAME] on this page's own host, naming the VM's
 * owner when it is not the user's own, as vmPath does
 */
export function wsUrl(kind, name, owner) {
	const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
	return proto + '//' + location.host + '/ws/' + kind +
	    (name === undefined ? '' : '/' + seg(name) + ownerQuery(owner));
}

/* the page of one VM (and its owner, when not the user) */
export function vmPage(name, owner) {
	return pages.vm + '?name=' + encodeURIComponent(name) +
	    ownerQuery(owner).replace('?', '&');
}
