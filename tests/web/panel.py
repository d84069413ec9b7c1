"""panel.py: what the browser tests do with the panel's pages, step by
step, through webdriver.py: log in (a one-time link, a password), make
a VM with the create form, act on a row, open a VM's page, wait for its
screen and console, type into the console.  The tests (browser-*.py)
string these together; the pages' ids and data-* attributes are
what they hold on to."""
import time

import pngcheck
from webdriver import ELEMENT


class Panel:
    def __init__(self, browser, url):
        self.b = browser
        self.url = url.rstrip("/")

    # logging in and out

    def at_panel(self):
        return self.b.url.rstrip("/") == self.url

    def login_link(self, link):
        """Open a one-time link; the panel must follow, the token gone."""
        self.b.get("about:blank")
        self.b.get(link)
        self.b.wait(self.at_panel, "the panel after the link")
        self.ready()

    def login_password(self, user, password):
        self.b.get(self.url + "/login")
        form = self.b.wait_css("#login-form:not([hidden])")
        assert form
        self.b.find("#login-user").send_keys(user)
        self.b.find("#login-password").send_keys(password)
        self.b.find("#login-submit").click()
        self.b.wait(self.at_panel, "the panel after the password")
        self.ready()

    def login_fails(self, user, password):
        """The password form refuses: the status line's words."""
        self.b.get(self.url + "/login")
        self.b.wait_css("#login-form:not([hidden])")
        self.b.find("#login-user").send_keys(user)
        self.b.find("#login-password").send_keys(password)
        self.b.find("#login-submit").click()
        return self.b.wait(lambda: self.b.find("#status.error").text,
                           "a refusal on the login page")

    def ready(self):
        self.b.wait_css('body[data-ready="1"]')

    def who(self):
        return self.b.find("#who").text

    def logout(self):
        self.b.find("#logout").click()
        self.b.wait_url("/login")

    # the list (owner: a uid, for an admin's list of several owners')

    def row(self, name, owner=None):
        return '#vm-rows tr[data-vm="%s"]%s' % (
            name, "" if owner is None else '[data-owner="%d"]' % owner)

    def has_row(self, name, owner=None):
        return self.b.exists(self.row(name, owner))

    def state(self, name, owner=None):
        return self.b.find(self.row(name, owner) + " .state").text

    def wait_state(self, name, state, timeout=None, owner=None):
        self.b.wait(lambda: self.has_row(name, owner) and
                    self.state(name, owner) == state,
                    "%s %s in the list" % (name, state), timeout)

    def action(self, name, action, confirm=True, owner=None):
        css = '%s button[data-action="%s"]:not([disabled])' % (
            self.row(name, owner), action)
        self.b.wait(lambda: self.b.find(css).click(),
                    "%s's %s button" % (name, action))
        if confirm and action in ("destroy", "delete"):
            self.confirm()

    # a VM's snapshots, under the list

    def snapshots(self, name, owner=None):
        """Open the snapshots of a row's VM; its rows once listed."""
        self.action(name, "snapshots", owner=owner)
        self.b.wait_text("#snap-vm", name)
        return self.wait_snaps(lambda tags: True, "the snapshots listed")

    def snap_tags(self):
        """The tags listed; None while the list is still asked for."""
        rows = self.b.find_all("#snap-rows tr")
        if not rows:
            return None
        return [r.attr("data-tag") for r in rows
                if r.attr("data-tag") is not None]

    def wait_snaps(self, cond, what, timeout=None):
        """Until cond(tags listed) holds; the tags."""
        def ok():
            t = self.snap_tags()
            return (t,) if t is not None and cond(t) else None
        return self.b.wait(ok, what, timeout)[0]

    def take_snapshot(self, tag):
        self.b.find("#snap-tag").clear()
        self.b.find("#snap-tag").send_keys(tag)
        self.b.find('#snap-form button[type="submit"]').click()

    def snap_action(self, tag, action):
        """revert or delete, with the question answered."""
        css = '#snap-rows tr[data-tag="%s"] button[data-action="%s"]' % (
            tag, action)

        def click():
            # the list may be drawn anew between finding and clicking:
            # a stale button is found again
            self.b.find(css).click()
            return True
        self.b.wait(click, "the %s button of %s" % (action, tag))
        self.confirm()

    def confirm(self):
        self.b.wait(lambda: self.b.find("#confirm").prop("open"),
                    "the question")
        self.b.find("#confirm-yes").click()

    def status(self):
        e = self.b.find("#status")
        return e.text, "error" in (e.attr("class") or "")

    def wait_status(self, words, timeout=None):
        return self.b.wait_text("#status", words, timeout)

    # the create form

    def create(self, fields):
        """fields: form ids without "create-" -> value; selects by value."""
        b = self.b
        # the direct kernel boot's fields are folded away at first
        b.js("document.getElementById('create-boot').open = true")
        for k, v in fields.items():
            e = b.find("#create-" + k)
            if e.prop("tagName") == "SELECT":
                b.js("const s = arguments[0]; s.value = arguments[1];"
                     "if (s.value !== arguments[1]) throw new Error("
                     "'no option ' + arguments[1]);",
                     {ELEMENT: e.id}, v)
            else:
                e.clear()
                e.send_keys(str(v))
        b.find("#create-submit").click()

    # a VM's page

    def open_vm(self, name, owner=None):
        self.b.get(self.url + "/vm.html?name=" + name +
                   ("" if owner is None else "&owner=%d" % owner))
        self.ready()

    def vm_state(self):
        return self.b.find("#vm-state").text

    def wait_vm_state(self, state, timeout=None):
        self.b.wait(lambda: self.vm_state() == state,
                    "the VM's page to say " + state, timeout)

    def wait_view(self, which, timeout=None):
        """which: screen or console, connected."""
        self.b.wait_css('#%s-status[data-state="connected"]' % which,
                        timeout)

    def console_text(self):
        return self.b.js("const r = document.querySelector('.xterm-rows');"
                         "return r === null ? '' : r.textContent;")

    def type_console(self, text):
        self.b.find(".xterm-helper-textarea").send_keys(text)

    def console_answer(self, tag, expr, timeout=30):
        """Type echo "TAG:EXPR:" into the console; what came back."""
        self.type_console('echo "%s:%s:"\n' % (tag, expr))

        def answered():
            t = self.console_text()
            # the echo of the line typed holds TAG:EXPR:, the answer
            # TAG:VALUE: with the expression worked out; a VALUE not
            # yet closed by its ':' may still be arriving
            for part in t.split(tag + ":")[1:]:
                if ":" not in part:
                    continue
                v = part.split(":")[0]
                if v and v != expr:
                    return v
            return None
        return self.b.wait(answered, "the guest's answer to " + tag,
                           timeout)

    def screen_png(self, path=None):
        return self.b.find("#screen canvas").screenshot(path)


def shows_something(png, min_share=0.001):
    """A picture that is not blank: at least two colours, the rarer ones
    on at least min_share of its pixels."""
    w, h, rows, bpp = pngcheck.pixels(png)
    counts = {}
    for r in rows:
        for x in range(0, w * bpp, bpp):
            c = r[x:x + 3]
            counts[c] = counts.get(c, 0) + 1
    if len(counts) < 2:
        return False, "one colour"
    most = max(counts.values())
    rest = (w * h - most) / float(w * h)
    return rest >= min_share, "%d colours, %.2f%% not the background" % (
        len(counts), 100 * rest)
