/*
 * panel.js: the panel's main page (index.html): the user's VMs, their
 * states kept live by the events stream (no polling: an event changes
 * the row at once, then the list is asked for again to have the rest),
 * the actions on each, its snapshots, the form that makes a VM (within
 * the quota shown below it), and for admins every owner's VMs and the
 * networks.  Requests go through api.js, text into the page through
 * dom.js.
 */
import { needSession, request, vmPath, vmPage, pages } from './api.js';
import { el, clear, byId, say, confirmed, bytes, when } from './dom.js';
import { follow, showLive } from './events.js';

let session;
let vms = [];
let snapVm = null;		/* the VM whose snapshots are shown */
let snapLoading = false;	/* its list is being asked for */
let snapAgain = false;		/* and is to be asked for again after */
let snapRetry = null;		/* a timer: asked again after "busy" */
let refreshTimer = null;

/* what an event says of the VM's state, before the list is asked again */
const eventState = {
	starting: 'starting', started: 'running', stopping: 'stopping',
	stopped: 'stopped', crashed: 'crashed', failed: 'failed',
	paused: 'paused', resumed: 'running', adopted: 'running',
	saving: 'saving', saved: 'saved', expired: 'expired',
	restarting: 'starting',
};

/* the actions a state allows, in the order of the buttons */
const actions = [
	{ name: 'start', label: 'Start', done: 'started',
	    when: ['stopped', 'crashed', 'failed', 'saved'] },
	{ name: 'stop', label: 'Stop', done: 'stopped',
	    when: ['running', 'paused', 'starting'] },
	{ name: 'destroy', label: 'Power off', done: 'powered off',
	    danger: true,
	    ask: (v) => 'Power off ' + v.name + ' at once, as if pulling ' +
	    'its plug?',
	    when: ['running', 'paused', 'starting', 'stopping'] },
	{ name: 'delete', label: 'Delete', done: 'deleted', danger: true,
	    ask: (v) => 'Delete ' + v.name + ' and its disks? This cannot ' +
	    'be undone.',
	    when: ['stopped', 'crashed', 'failed', 'expired', 'saved'] },
];

function ownerText(uid) {
	if (uid === session.uid)
		return 'you';
	return 'uid ' + uid;
}

/* a row of the list, made once for a VM and changed in place after */
function makeRow(v) {
	const cell = (cls) => el('td', { className: cls });
	const row = el('tr', { data: { vm: v.name, owner: v.owner } },
	    el('td', { className: 'name' },
	    el('a', { href: vmPage(v.name, v.owner) }, v.name)),
	    cell('owner admin-only'), cell('state'), cell('num vcpus'),
	    cell('num memory'), cell('address'), cell('loan'));
	const buttons = el('td', { className: 'actions' },
	    el('a', { href: vmPage(v.name, v.owner), className: 'button',
	    data: { action: 'open' } }, 'Open'));
	for (const a of actions)
		buttons.append(el('button', { type: 'button',
		    className: a.danger ? 'danger' : '',
		    data: { action: a.name },
		    onclick: () => act(row.vm, a) }, a.label));
	buttons.append(el('button', { type: 'button',
	    data: { action: 'snapshots' },
	    onclick: () => showSnapshots(row.vm) }, 'Snapshots'));
	row.append(buttons);
	return row;
}

function updateRow(row, v) {
	const set = (cls, text) => {
		row.querySelector('td.' + cls).textContent = text;
	};
	row.vm = v;
	set('owner', ownerText(v.owner));
	set('state', v.state);
	row.querySelector('td.state').className = 'state state-' + v.state;
	set('vcpus', v.vcpus);
	set('memory', v.memory_mib + ' MiB');
	set('address', Array.isArray(v.addresses) && v.addresses.length ?
	    String(v.addresses[0]) : '');
	set('loan', v.loan_end === null ? '' : when(v.loan_end));
	for (const a of actions)
		row.querySelector('button[data-action="' + a.name +
		    '"]').disabled = !a.when.includes(v.state);
}

const rowKey = (v) => v.owner + '/' + v.name;

/*
 * The list as vms has it: rows kept (a click on a button lands on the
 * button it was aimed at), made, changed, removed, in order.
 */
function renderVms() {
	const body = byId('vm-rows');
	const old = new Map();
	for (const row of body.children)
		if (row.vm)
			old.set(rowKey(row.vm), row);
	byId('no-vms').hidden = vms.length !== 0;
	let at = body.firstElementChild;
	for (const v of vms) {
		let row = old.get(rowKey(v));
		if (row === undefined)
			row = makeRow(v);
		old.delete(rowKey(v));
		updateRow(row, v);
		if (row !== at)
			body.insertBefore(row, at);
		else
			at = at.nextElementSibling;
	}
	for (const row of old.values())
		row.remove();
}

async function loadVms() {
	try {
		const list = await request('GET', '/api/vms');
		vms = Array.isArray(list) ? list : [];
		vms.sort((a, b) => a.name.localeCompare(b.name) ||
		    a.owner - b.owner);
		renderVms();
	} catch (e) {
		say('The list of VMs: ' + e.message, true);
	}
}

/* the list again soon: several events in a row ask once */
function refreshSoon() {
	if (refreshTimer !== null)
		return;
	refreshTimer = setTimeout(() => {
		refreshTimer = null;
		loadVms();
	}, 300);
}

async function act(v, a) {
	if (a.ask && !await confirmed(a.ask(v)))
		return;
	say(a.label + ' ' + v.name + '...');
	try {
		if (a.name === 'delete')
			await request('DELETE', vmPath(v.name, '', v.owner));
		else
			await request('POST', vmPath(v.name, a.name, v.owner));
		say(v.name + ' ' + a.done);
		if (a.name === 'delete') {
			if (snapVm !== null && rowKey(snapVm) === rowKey(v))
				hideSnapshots();
			loadQuota();
		}
	} catch (e) {
		say(v.name + ': ' + e.message, true);
	}
	refreshSoon();
}

function onEvent(ev) {
	const row = vms.find((v) => v.name === ev.vm &&
	    (v.owner === ev.owner || typeof ev.owner !== 'number'));
	if (row && eventState[ev.event]) {
		row.state = eventState[ev.event];
		renderVms();
	}
	if (ev.event === 'deleted' || ev.event === 'created')
		loadQuota();
	if (snapVm !== null && snapVm.name === ev.vm &&
	    snapVm.owner === ev.owner && (ev.event === 'snapshot' ||
	    ev.event === 'deleted'))
		ev.event === 'deleted' ? hideSnapshots() : loadSnapshots();
	refreshSoon();
}

/* snapshots */

function hideSnapshots() {
	snapVm = null;
	if (snapRetry !== null) {
		clearTimeout(snapRetry);
		snapRetry = null;
	}
	byId('snapshots-section').hidden = true;
}

/* v: the list's VM object (its name and owner) */
function showSnapshots(v) {
	snapVm = v;
	byId('snap-vm').textContent = v.name;
	byId('snapshots-section').hidden = false;
	loadSnapshots();
}

/*
 * The list again, one request at a time: fwsd reads it from the VM's
 * disk as a job of the VM's, so a second at once (the event of a
 * snapshot just taken arriving with the answer) is refused as busy.
 * Busy for a while (an operation from elsewhere), it is asked again
 * a second later, the list shown meanwhile.
 */
async function loadSnapshots() {
	if (snapLoading) {
		snapAgain = true;
		return;
	}
	if (snapRetry !== null) {
		clearTimeout(snapRetry);
		snapRetry = null;
	}
	snapLoading = true;
	try {
		await fetchSnapshots();
	} finally {
		snapLoading = false;
	}
	if (snapAgain) {
		snapAgain = false;
		loadSnapshots();
	}
}

async function fetchSnapshots() {
	const vm = snapVm;
	if (vm === null)
		return;
	const name = vm.name;
	const body = byId('snap-rows');
	let list;
	try {
		list = await request('GET', vmPath(name, 'snapshots', vm.owner));
	} catch (e) {
		if (vm !== snapVm)
			return;
		if (e.code === 'busy') {
			snapRetry = setTimeout(() => {
				snapRetry = null;
				loadSnapshots();
			}, 1000);
			return;
		}
		clear(body);
		say(name + "'s snapshots: " + e.message, true);
		return;
	}
	if (vm !== snapVm)
		return;
	clear(body);
	for (const s of Array.isArray(list) ? list : []) {
		const path = 'snapshots/' + encodeURIComponent(s.tag);
		body.append(el('tr', { data: { tag: s.tag } },
		    el('td', {}, s.tag),
		    el('td', {}, when(s.created)),
		    el('td', {}, s.memory ? 'with memory' : 'disks only'),
		    el('td', { className: 'actions' },
		    el('button', { type: 'button', data: { action: 'revert' },
		    onclick: () => snapAct(vm, s.tag, 'POST',
		    vmPath(name, path + '/revert', vm.owner),
		    'Go back to snapshot ' + s.tag + ' of ' + name +
		    '? What changed since is lost.', 'reverted to') },
		    'Revert'),
		    el('button', { type: 'button', className: 'danger',
		    data: { action: 'delete' },
		    onclick: () => snapAct(vm, s.tag, 'DELETE',
		    vmPath(name, path, vm.owner),
		    'Delete snapshot ' + s.tag + ' of ' + name + '?',
		    'deleted snapshot') }, 'Delete'))));
	}
	if (body.children.length === 0)
		body.append(el('tr', {}, el('td', { colSpan: 4 },
		    'No snapshots.')));
}

async function snapAct(vm, tag, method, path, question, done) {
	if (!await confirmed(question))
		return;
	try {
		await request(method, path);
		say(vm.name + ': ' + done + ' ' + tag);
	} catch (e) {
		say(vm.name + ': ' + e.message, true);
	}
	loadSnapshots();
}

async function takeSnapshot(ev) {
	ev.preventDefault();
	const vm = snapVm;
	const tag = byId('snap-tag').value;
	say(vm.name + ': taking snapshot ' + tag + '...');
	try {
		await request('POST', vmPath(vm.name, 'snapshots', vm.owner),
		    { tag });
		say(vm.name + ': snapshot ' + tag + ' taken');
		byId('snap-tag').value = '';
	} catch (e) {
		say(vm.name + ': ' + e.message, true);
	}
	loadSnapshots();
}

/* the create form and what fills its lists */

function fill(select, items, label) {
	const keep = select.value;
	while (select.options.length > 1)
		select.remove(1);
	for (const it of items)
		select.add(el('option', { value: it.name }, label(it)));
	select.value = keep;
}

async function loadChoices() {
	const [templates, images, nets] = await Promise.all([
	    request('GET', '/api/templates').catch(() => []),
	    request('GET', '/api/images').catch(() => []),
	    request('GET', '/api/networks').catch(() => [])]);
	fill(byId('create-template'), templates || [], (t) => t.name + ': ' +
	    t.vcpus + ' vCPU, ' + t.memory_mib + ' MiB' +
	    (t.disk ? ', ' + bytes(t.disk) : ''));
	const imgs = Array.isArray(images) ? images : [];
	const own = (i) => i.owner === null ? '' : ' (yours)';
	fill(byId('create-iso'), imgs.filter((i) => i.type === 'iso'),
	    (i) => i.name + own(i));
	fill(byId('create-base'), imgs.filter((i) => i.type === 'disk'),
	    (i) => i.name + ' (' + bytes(i.virtual_size) + ')' + own(i));
	fill(byId('create-kernel'), imgs.filter((i) => i.type === 'kernel'),
	    (i) => i.name + own(i));
	fill(byId('create-initrd'), imgs.filter((i) => i.type === 'initrd'),
	    (i) => i.name + own(i));
	const netList = Array.isArray(nets) ? nets : [];
	fill(byId('create-net'), netList, (n) => n.name);
	if (session.admin)
		renderNetworks(netList);
}

function renderNetworks(nets) {
	const body = byId('net-rows');
	clear(body);
	for (const n of nets)
		body.append(el('tr', { data: { net: n.name } },
		    el('td', {}, n.name), el('td', {}, n.bridge || ''),
		    el('td', {}, n.address || ''),
		    el('td', {}, n.active ? 'up' : 'down'),
		    el('td', {}, n.open ? 'yes' : 'no')));
}

/* the create request's arguments from the form: only what was given */
function createArgs() {
	const v = (id) => byId(id).value.trim();
	const args = { name: v('create-name') };
	const num = (id, key, scale) => {
		if (v(id) !== '')
			args[key] = Number(v(id)) * (scale || 1);
	};
	if (v('create-template') !== '')
		args.template = v('create-template');
	num('create-vcpus', 'vcpus');
	num('create-memory', 'memory_mib');
	if (v('create-disk') !== '')
		args.disks = [{ size: Number(v('create-disk')) * 1073741824 }];
	for (const [id, key] of [['create-iso', 'iso'],
	    ['create-base', 'base'], ['create-kernel', 'kernel'],
	    ['create-initrd', 'initrd'], ['create-append', 'append']])
		if (v(id) !== '')
			args[key] = v(id);
	if (v('create-net') !== '')
		args.nics = [{ network: v('create-net') }];
	const keys = v('create-ssh-keys').split('\n').map((k) => k.trim())
	    .filter((k) => k !== '');
	if (keys.length > 0)
		args.ssh_keys = keys;
	return args;
}

async function create(ev) {
	ev.preventDefault();
	const args = createArgs();
	const button = byId('create-submit');
	button.disabled = true;
	say('Creating ' + args.name + '...');
	try {
		await request('POST', '/api/vms', args);
		say('Created ' + args.name);
		byId('create-form').reset();
	} catch (e) {
		say('Not created: ' + e.message, true);
	}
	button.disabled = false;
	loadVms();
	loadQuota();
}

/* the quota: what is used of each limit */

const quotaRows = [
	['vms', 'vms', 'VMs', String],
	['vcpus', 'vcpus', 'vCPUs (all VMs)', String],
	['memory_mib', 'memory_mib', 'Memory (all VMs)', (m) => m + ' MiB'],
	['disk', 'disk', 'Disk space', bytes],
	['images', 'images', 'Images', String],
	[null, 'vm_vcpus', 'vCPUs per VM', String],
	[null, 'vm_memory_mib', 'Memory per VM', (m) => m + ' MiB'],
	[null, 'vm_disk', 'Disk per VM', bytes],
	[null, 'snapshots', 'Snapshots per VM', String],
];

async function loadQuota() {
	let q;
	try {
		q = await request('GET', '/api/quota');
	} catch (e) {
		return;
	}
	const body = byId('quota-rows');
	clear(body);
	if (q.exempt)
		body.append(el('tr', {}, el('td', { colSpan: 2 },
		    'An admin\'s own VMs have no quota: what they use.')));
	const limits = q.limits || {};
	const used = q.used || {};
	for (const [u, l, label, fmt] of quotaRows) {
		if (q.exempt && u === null)
			continue;
		const lim = q.exempt || limits[l] === null ||
		    limits[l] === undefined ? 'no limit' : fmt(limits[l]);
		const text = u === null ? lim : fmt(used[u] || 0) + ' of ' + lim;
		body.append(el('tr', { data: { quota: l } },
		    el('th', {}, label), el('td', {}, text)));
	}
}

async function logout() {
	try {
		await request('DELETE', '/api/session');
	} catch (e) {
		/* gone already: the login page either way */
	}
	location.replace(pages.login);
}

async function main() {
	session = await needSession();
	byId('who').textContent = session.user + (session.admin ?
	    ' (admin)' : '');
	document.body.classList.toggle('admin', !!session.admin);
	byId('quota-section').querySelector('h2').textContent =
	    session.admin ? 'Quota' : 'Your quota';
	byId('logout').addEventListener('click', logout);
	byId('create-form').addEventListener('submit', create);
	byId('snap-form').addEventListener('submit', takeSnapshot);
	byId('snap-close').addEventListener('click', hideSnapshots);
	follow({ onEvent, onLive: (live) => {
		showLive(byId('live'), live);
		if (live)
			refreshSoon();
	} });
	await Promise.all([loadVms(), loadQuota(), loadChoices()]);
	/* the page shown with its first answers (the tests and benchmark) */
	document.body.dataset.ready = '1';
	performance.mark('fws-ready');
}

main().catch((e) => say(e.message, true));
