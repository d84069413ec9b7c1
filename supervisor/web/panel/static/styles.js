/*
 * styles.js: style sheets that a library's script writes, under a
 * Content-Security-Policy whose style-src is 'self'.  xterm.js 5.5's
 * DOM renderer puts the cells' measured sizes and its colours into
 * <style> elements it makes and fills, which the policy refuses; made
 * through here, such an element's text goes into a constructed style
 * sheet of the document instead (document.adoptedStyleSheets), which
 * the policy allows: it is the page's own script that wrote it.  The
 * element itself is an inert <template>: an empty <style> put in the
 * page would be refused too, and reported.
 */

/* From now on, a <style> a script makes writes into a sheet of its own. */
export function adoptScriptStyles() {
	const make = Document.prototype.createElement;
	Document.prototype.createElement = function (tag, options) {
		if (String(tag).toLowerCase() !== 'style')
			return make.call(this, tag, options);
		const e = make.call(this, 'template');
		adopt(this, e);
		return e;
	};
}

function adopt(doc, e) {
	const sheet = new CSSStyleSheet();
	let text = '';
	doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
	Object.defineProperty(e, 'textContent', {
		configurable: true,
		get() {
			return text;
		},
		set(t) {
			text = String(t);
			sheet.replaceSync(text);
		},
	});
}
