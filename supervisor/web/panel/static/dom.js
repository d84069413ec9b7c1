/*
 * dom.js: building the page's pieces.  Every text that came from the
 * server goes in as a text node (textContent), never as markup: a name
 * or message holding "<img onerror=...>" shows as those characters.
 */

/*
 * el(tag, attrs, ...children): an element; attrs are properties set
 * on it (className, type, title, ...) or data-* attributes (given as
 * {data: {vm: NAME}}); children are nodes or strings (made text nodes).
 */
export function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === 'data') {
			for (const [dk, dv] of Object.entries(v))
				e.dataset[dk] = String(dv);
		} else if (k === 'onclick') {
			e.addEventListener('click', v);
		} else {
			e[k] = v;
		}
	}
	for (const c of children) {
		if (c === null || c === undefined)
			continue;
		e.append(c instanceof Node ? c : document.createTextNode(
		    String(c)));
	}
	return e;
}

export function clear(e) {
	e.replaceChildren();
}

export function byId(id) {
	return document.getElementById(id);
}

/* the status line: what was done, or what went wrong (class "error") */
export function say(text, isError) {
	const s = byId('status');
	if (s === null)
		return;
	s.textContent = text;
	s.classList.toggle('error', !!isError);
}

/*
 * A question in the page's own dialog (no window.confirm): resolves
 * true when the user said yes.
 */
export function confirmed(question) {
	const d = byId('confirm');
	byId('confirm-text').textContent = question;
	return new Promise((resolve) => {
		d.addEventListener('close', () => resolve(d.returnValue ===
		    'yes'), { once: true });
		d.returnValue = '';
		d.showModal();
	});
}

/* 2147483648 -> "2.0 GiB" */
export function bytes(n) {
	if (typeof n !== 'number')
		return '';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
}

/* seconds since the epoch -> local "YYYY-MM-DD HH:MM", '' for null */
export function when(t) {
	if (typeof t !== 'number')
		return '';
	const d = new Date(t * 1000);
	const p = (x) => String(x).padStart(2, '0');
	return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' +
	    p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes());
}
