/*
 * vm.js: one VM's page (vm.html?name=NAME, and &owner=UID for an
 * admin's view of another user's VM): its screen through noVNC (RFB
 * over wss://HOST/ws/screen/NAME, which fws-web joins to the VM's own
 * VNC server), its serial console through xterm.js (raw bytes in
 * binary frames over wss://HOST/ws/console/NAME), what it is (info),
 * and start, stop and power off.  Both views follow the VM's state
 * from the events stream: they connect when it runs and let go when
 * it stops.
 */
import RFB from '/novnc/core/rfb.js';
import { needSession, request, vmPath, wsUrl } from './api.js';
import { el, clear, byId, say, confirmed, bytes, when } from './dom.js';
import { follow, showLive } from './events.js';
import { adoptScriptStyles } from './styles.js';

const params = new URLSearchParams(location.search);
const name = params.get('name') || '';
/* another user's VM, for an admin: its owner's uid */
const owner = /^[0-9]{1,10}$/.test(params.get('owner') || '') ?
    Number(params.get('owner')) : undefined;
let info = null;
let rfb = null;
let term = null;
let consoleWs = null;
let retryScreen = null;
let retryConsole = null;
let infoTimer = null;

const runningStates = ['running', 'paused'];

function runs() {
	return info !== null && runningStates.includes(info.state);
}

/* the screen */

/* what a view shows of its connection; data-state for the tests */
function status(id, state, text) {
	const e = byId(id);
	e.textContent = text || (state === 'closed' ? 'not connected' : state);
	e.dataset.state = state;
}

function screenStatus(state, text) {
	status('screen-status', state, text);
}

function connectScreen() {
	retryScreen = null;
	if (rfb !== null || !runs())
		return;
	screenStatus('connecting');
	const r = new RFB(byId('screen'), wsUrl('screen', name, owner),
	    { wsProtocols: ['binary'], shared: true });
	r.scaleViewport = true;
	r.background = '#202020';
	r.addEventListener('connect', () => screenStatus('connected'));
	r.addEventListener('disconnect', () => {
		if (rfb === r)
			rfb = null;
		screenStatus('closed');
		if (runs() && retryScreen === null)
			retryScreen = setTimeout(connectScreen, 3000);
	});
	r.addEventListener('securityfailure', (e) =>
	    screenStatus('refused', 'refused: ' + (e.detail.reason ||
	    'security')));
	rfb = r;
}

function disconnectScreen() {
	if (retryScreen !== null) {
		clearTimeout(retryScreen);
		retryScreen = null;
	}
	if (rfb !== null) {
		const r = rfb;
		rfb = null;
		r.disconnect();
	}
}

/* the serial console */

function consoleStatus(state) {
	status('console-status', state);
}

function connectConsole() {
	retryConsole = null;
	if (consoleWs !== null || !runs())
		return;
	consoleStatus('connecting');
	const ws = new WebSocket(wsUrl('console', name, owner));
	ws.binaryType = 'arraybuffer';
	ws.addEventListener('open', () => {
		consoleStatus('connected');
		term.focus();
	});
	ws.addEventListener('message', (m) => {
		if (typeof m.data === 'string')
			term.write(m.data);
		else
			term.write(new Uint8Array(m.data));
	});
	ws.addEventListener('close', () => {
		if (consoleWs === ws)
			consoleWs = null;
		consoleStatus('closed');
		if (runs() && retryConsole === null)
			retryConsole = setTimeout(connectConsole, 3000);
	});
	consoleWs = ws;
}

function disconnectConsole() {
	if (retryConsole !== null) {
		clearTimeout(retryConsole);
		retryConsole = null;
	}
	if (consoleWs !== null) {
		const ws = consoleWs;
		consoleWs = null;
		ws.close();
	}
}

function makeTerminal() {
	/* xterm.js's UMD bundle leaves its class on window */
	adoptScriptStyles();
	term = new window.Terminal({ cursorBlink: true, scrollback: 2000,
	    fontSize: 14, rows: 24, cols: 80 });
	term.open(byId('console'));
	const enc = new TextEncoder();
	term.onData((d) => {
		if (consoleWs !== null && consoleWs.readyState ===
		    WebSocket.OPEN)
			consoleWs.send(enc.encode(d));
	});
	term.onBinary((d) => {
		if (consoleWs === null || consoleWs.readyState !==
		    WebSocket.OPEN)
			return;
		const b = new Uint8Array(d.length);
		for (let i = 0; i < d.length; i++)
			b[i] = d.charCodeAt(i) & 0xff;
		consoleWs.send(b);
	});
}

/* what the VM is */

function detail(dl, label, value) {
	if (value === null || value === undefined || value === '')
		return;
	dl.append(el('dt', {}, label), el('dd', {}, value));
}

function renderInfo() {
	const v = info;
	byId('vm-state').textContent = v.state;
	byId('vm-state').className = 'state state-' + v.state;
	byId('vm-start').disabled = !['stopped', 'crashed', 'failed',
	    'saved'].includes(v.state);
	byId('vm-stop').disabled = !['running', 'paused',
	    'starting'].includes(v.state);
	byId('vm-destroy').disabled = !['running', 'paused', 'starting',
	    'stopping'].includes(v.state);
	const dl = byId('details');
	clear(dl);
	detail(dl, 'State', v.state);
	detail(dl, 'vCPUs', v.vcpus);
	detail(dl, 'Memory', v.memory_mib + ' MiB');
	detail(dl, 'Addresses', Array.isArray(v.addresses) ?
	    v.addresses.join(', ') : '');
	detail(dl, 'MAC', v.mac);
	for (const [i, d] of (v.disks || []).entries())
		detail(dl, 'Disk ' + i, d.path + ' (' + d.format + ', ' +
		    bytes(d.size) + (d.readonly ? ', read-only' : '') + ')');
	for (const [i, n] of (v.nics || []).entries())
		detail(dl, 'NIC ' + i, n.network + ' ' + n.mac +
		    (n.dns_name ? ' (' + n.dns_name + ')' : ''));
	detail(dl, 'ISO', v.iso);
	detail(dl, 'Kernel', v.kernel);
	detail(dl, 'Initrd', v.initrd);
	detail(dl, 'Command line', v.append);
	detail(dl, 'Restart', v.restart);
	detail(dl, 'Autostart', v.autostart ? 'on' : 'off');
	detail(dl, 'Created', when(v.created));
	detail(dl, 'Loan ends', when(v.loan_end));
	detail(dl, 'Last exit', v.last_exit === null ? null :
	    v.last_exit + ' (' + when(v.last_exit_time) + ')');
}

/* the views follow the state */
function follows() {
	if (runs()) {
		connectScreen();
		connectConsole();
	} else {
		disconnectScreen();
		disconnectConsole();
	}
}

async function loadInfo() {
	try {
		info = await request('GET', vmPath(name, '', owner));
	} catch (e) {
		say(e.message, true);
		if (e.status === 404) {
			info = null;
			follows();
		}
		return false;
	}
	renderInfo();
	follows();
	return true;
}

function infoSoon() {
	if (infoTimer !== null)
		return;
	infoTimer = setTimeout(() => {
		infoTimer = null;
		loadInfo();
	}, 300);
}

const eventState = {
	starting: 'starting', started: 'running', stopping: 'stopping',
	stopped: 'stopped', crashed: 'crashed', failed: 'failed',
	paused: 'paused', resumed: 'running', adopted: 'running',
	saved: 'saved', expired: 'expired',
};

/* the newest first, at most 50 */
function showEvent(ev) {
	const list = byId('events');
	const reason = typeof ev.reason === 'string' ? ': ' + ev.reason : '';
	list.prepend(el('li', { data: { event: ev.event } },
	    el('time', {}, when(ev.time)), ' ', el('strong', {}, ev.event),
	    reason));
	while (list.children.length > 50)
		list.lastChild.remove();
}

function onEvent(ev) {
	if (info === null || ev.vm !== info.name ||
	    (typeof ev.owner === 'number' && ev.owner !== info.owner))
		return;
	showEvent(ev);
	if (ev.event === 'deleted') {
		info.state = 'deleted';
		byId('vm-state').textContent = 'deleted';
		follows();
		say(name + ' was deleted', true);
		return;
	}
	if (eventState[ev.event]) {
		info.state = eventState[ev.event];
		renderInfo();
		follows();
	}
	infoSoon();
}

async function act(what, label, done, question) {
	if (question && !await confirmed(question))
		return;
	say(label + ' ' + name + '...');
	try {
		await request('POST', vmPath(name, what, owner));
		say(name + ' ' + done);
	} catch (e) {
		say(name + ': ' + e.message, true);
	}
	infoSoon();
}

async function main() {
	await needSession();
	byId('vm-name').textContent = name;
	document.title = 'fws: ' + name;
	makeTerminal();
	byId('vm-start').addEventListener('click', () => act('start',
	    'Start', 'started'));
	byId('vm-stop').addEventListener('click', () => act('stop', 'Stop',
	    'stopped'));
	byId('vm-destroy').addEventListener('click', () => act('destroy',
	    'Power off', 'powered off', 'Power off ' + name + ' at once, ' +
	    'as if pulling its plug?'));
	byId('screen-cad').addEventListener('click', () => {
		if (rfb !== null)
			rfb.sendCtrlAltDel();
	});
	if (name === '') {
		say('No VM named in the address (vm.html?name=NAME)', true);
		return;
	}
	follow({ onEvent, onLive: (live) => {
		showLive(byId('live'), live);
		if (live)
			infoSoon();
	} });
	await loadInfo();
	/* the page shown with its first answers (the tests and benchmark) */
	document.body.dataset.ready = '1';
	performance.mark('fws-ready');
}

main().catch((e) => say(e.message, true));
