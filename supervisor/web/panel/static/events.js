/*
 * events.js: the live lifecycle events of the user's VMs, from
 * /ws/events (fwsd's "events --follow" as the user): one text frame a
 * event.  Whoever listens is called with each event object
 * ({seq, time, vm, owner, event, reason, actor}); a lost connection is
 * made again after a pause that grows, and the listener told with
 * onLive(false|true) so that it can catch up on what it missed.
 */
import { pages, wsUrl, request } from './api.js';

/*
 * follow({onEvent, onLive}): start listening; returns a function that
 * stops.
 */
export function follow({ onEvent, onLive }) {
	let ws = null;
	let stopped = false;
	let delay = 1000;
	let timer = null;

	function open() {
		timer = null;
		ws = new WebSocket(wsUrl('events'));
		ws.addEventListener('open', () => {
			delay = 1000;
			if (onLive)
				onLive(true);
		});
		ws.addEventListener('message', (m) => {
			if (typeof m.data !== 'string')
				return;
			let o;
			try {
				o = JSON.parse(m.data);
			} catch (e) {
				return;
			}
			/* the line as fwsd sent it, or the event alone */
			if (o && typeof o.event === 'object' && o.event !== null)
				o = o.event;
			if (o && typeof o.event === 'string' &&
			    typeof o.vm === 'string')
				onEvent(o);
		});
		ws.addEventListener('close', () => {
			ws = null;
			if (onLive)
				onLive(false);
			if (stopped)
				return;
			/* a session that ended sends the page to log in */
			request('GET', '/api/session').catch((e) => {
				if (e.status === 401)
					location.replace(pages.login);
			});
			timer = setTimeout(open, delay);
			delay = Math.min(delay * 2, 30000);
		});
	}
	open();
	return () => {
		stopped = true;
		if (timer !== null)
			clearTimeout(timer);
		if (ws !== null)
			ws.close();
	};
}

/* a live indicator's words */
export function showLive(elem, live) {
	elem.textContent = live ? 'live' : 'offline';
	elem.classList.toggle('on', live);
}
