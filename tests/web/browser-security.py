"""browser-security.py: what the panel shows of hostile text, and what
a browser sees when things go wrong, driven by t-web-security.sh:
  URL USER PASSWORD OTHER OTHER_PASSWORD VM OTHER_VM SET_ARGV_JSON CONTROL
USER owns VM (running), OTHER owns OTHER_VM.  Markup is shown as text,
never run: an error message echoing a name typed into the create form,
a kernel command line in the details, an event's reason (SET_ARGV, run
while the page is open, changes the command line: the "changed" event
names it).  No page breaks its Content-Security-Policy, the session
cookie is out of the page's reach, OTHER's VM is not found from USER's
session, nor its console or screen.  Then fws-web is killed and started
again (the test does it when CONTROL.kill, then CONTROL.start appear,
and says it did with CONTROL.killed, CONTROL.started): the open page
goes to the login page by itself, and USER logs in again."""
import json
import os
import subprocess
import sys
import time

import webdriver
from panel import Panel

(url, user, password, other, other_pw, vm, other_vm, set_argv,
 control) = sys.argv[1:10]
set_argv = json.loads(set_argv)
art = os.environ.get("ARTEFACTS", ".")
t0 = time.time()
EVIL = '<img src=x id=evil%d onerror="window.fwsPwned=%d">'


def step(what):
    print("  browser-security: %5.1f s  %s" % (time.time() - t0, what),
          flush=True)


def tell(word, done):
    """Ask the test for word (kill, start); wait until it says done."""
    open(control + "." + word, "w").close()
    end = time.time() + 60
    while not os.path.exists(control + "." + done):
        assert time.time() < end, "the test did not " + word
        time.sleep(0.1)


def inert(b, n):
    assert not b.exists("#evil%d" % n), "markup %d became an element" % n
    assert b.js("return window.fwsPwned === undefined"), "markup ran"


def csp_clean(b, where):
    bad = [l["message"] for l in b.console_log()
           if "Content Security Policy" in l.get("message", "")]
    assert not bad, "%s breaks its CSP: %s" % (where, bad[:3])


with webdriver.Browser() as b:
    p = Panel(b, url)
    try:
        p.login_password(user, password)
        assert "fws_session" not in b.js("return document.cookie"), \
            "the session cookie is readable by the page"
        csp_clean(b, "the login page and the panel")
        step("logged in; the cookie is HttpOnly; no CSP report")

        # an error message that echoes markup typed into the form
        b.js("document.getElementById('create-name')"
             ".removeAttribute('pattern')")
        p.create({"name": EVIL % (1, 1), "memory": 64})
        text, is_error = b.wait(lambda: (lambda s: s[1] and s)(p.status()),
                                "the refusal")
        assert (EVIL % (1, 1)) in text, "the message lost its text: " + text
        inert(b, 1)
        step("a name with markup: refused, its echo shown as text: %r"
             % text[:60])

        # the command line in the details, and an event's reason
        p.open_vm(vm)
        p.wait_view("console", 60)
        dd = b.wait(lambda: [e.text for e in b.find_all("#details dd")
                             if "<img" in e.text], "the command line")
        assert (EVIL % (2, 2)) in dd[0], dd
        inert(b, 2)
        subprocess.run(set_argv, check=True, stdout=subprocess.DEVNULL)
        ev = b.wait(lambda: [e.text for e in
                             b.find_all('#events li[data-event="changed"]')
                             if "<img" in e.text], "the changed event")
        assert (EVIL % (3, 3)) in ev[0], ev
        inert(b, 3)
        b.js("document.getElementById('events-section').scrollIntoView()")
        b.screenshot(os.path.join(art, "markup.png"))
        csp_clean(b, "the VM's page")
        step("markup in the command line and in an event shown as text: %r"
             % ev[0][:70])

        # the other user's VM: not found, nor its console or screen
        p.open_vm(other_vm)
        text = b.wait(lambda: b.find("#status.error").text, "a refusal")
        assert "no VM named" in text, text
        assert b.find("#console-status").attr("data-state") == "closed"
        for kind in ("console", "screen", "nope"):
            r = b.js_async(
                "const done = arguments[arguments.length - 1];"
                "const ws = new WebSocket(arguments[0]);"
                "ws.onopen = () => done('open');"
                "ws.onerror = () => done('error');"
                "setTimeout(() => done('timeout'), 10000);",
                url.replace("https:", "wss:") + "/ws/%s/%s" % (kind,
                                                                 other_vm))
            assert r == "error", "%s of %s's VM: %s" % (kind, other, r)
        step("%s's VM: not found on its page; its console and screen "
             "refused" % other)

        # fws-web killed with the page open, and started again
        p.open_vm(vm)
        p.wait_view("console", 30)
        b.wait_text("#live", "live")
        tell("kill", "killed")
        b.wait_css('#console-status[data-state="closed"]')
        b.wait(lambda: b.find("#live").text == "offline", "offline")
        tell("start", "started")
        b.wait_url("/login", 60)
        b.wait_css("#login-form:not([hidden])")
        step("fws-web killed: the page let go; started again: the page "
             "asks to log in")
        p.login_password(user, password)
        p.open_vm(vm)
        assert p.vm_state() == "running", p.vm_state()
        p.wait_view("console", 30)
        step("logged in again: %s still running, its console back" % vm)
    except Exception:
        b.save_failure(art)
        raise
