"""browser-flow.py: the panel end to end in a real browser, driven by
t-web-browser.sh against a real fwsd, fws-web and qemu:
  URL LINK LINK_USER USER PASSWORD VM CONSOLE_LOG STOP_ARGV_JSON
a one-time link logs LINK_USER in (and is spent: a second visit shows
the login form); a password logs USER in; USER makes VM with the
create form (the test guest's kernel and initrd, and an SSH key: the
VM has a cloud-init seed with it), starts it, opens its
page, sees the guest's screen (a screenshot that is not blank) and
types into its serial console and reads the answer; the VM stopped by
fwsctl (STOP_ARGV) shows stopped on the open page without a reload;
it is deleted from the list.  Screenshots go to $ARTEFACTS."""
import base64
import json
import os
import subprocess
import sys
import struct
import time

import webdriver
from panel import Panel, shows_something

(url, link, link_user, user, password, vm, console_log,
 stop_argv) = sys.argv[1:9]
stop_argv = json.loads(stop_argv)
art = os.environ.get("ARTEFACTS", ".")
t0 = time.time()
# an Ed25519 public key as OpenSSH writes it (the body: the type, then
# 32 bytes of key, each with its length), for the cloud-init seed
SSH_KEY = "ssh-ed25519 " + base64.b64encode(
    struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) +
    os.urandom(32)).decode() + " student@laptop"


def step(what):
    print("  browser-flow: %5.1f s  %s" % (time.time() - t0, what),
          flush=True)


def booted():
    try:
        with open(console_log, "rb") as f:
            return b"FWS-GUEST-READY" in f.read()
    except OSError:
        return False


with webdriver.Browser() as b:
    p = Panel(b, url)
    try:
        # a one-time link: in, then spent
        p.login_link(link)
        assert p.who() == link_user, "logged in as %r" % p.who()
        assert "token" not in b.url, "the token stayed in the address"
        p.logout()
        b.get("about:blank")
        b.get(link)
        words = b.wait(lambda: b.find("#status.error").text,
                       "the spent link refused")
        assert "not valid" in words, words
        assert b.find("#login-form").displayed()
        step("a one-time link logs %s in once: %r the second time"
             % (link_user, words))

        # a password
        p.login_password(user, password)
        assert p.who() == user, "logged in as %r" % p.who()
        b.wait_text("#live", "live")
        step("%s logged in with a password; events live" % user)

        # make the VM from the form, with an SSH key for cloud-init
        p.create({"name": vm, "vcpus": 1, "memory": 256,
                  "kernel": "vmlinuz", "initrd": "initrd.img",
                  "append": "console=ttyS0 quiet panic=-1",
                  "ssh-keys": SSH_KEY})
        p.wait_status("Created " + vm)
        seed = b.js_async(
            "const done = arguments[arguments.length - 1];"
            "fetch('/api/vms/' + arguments[0], {credentials: 'same-origin'})"
            ".then((r) => r.json()).then((j) => done(j.result.seed))"
            ".catch((e) => done(String(e)));", vm)
        assert isinstance(seed, dict) and seed.get("ssh_keys") == 1 and \
            not seed.get("password"), "the seed: %r" % (seed,)
        b.wait_css(p.row(vm))
        assert p.state(vm) == "stopped"
        quota = b.find('#quota-rows tr[data-quota="vms"] td').text
        assert quota.startswith("1 of"), quota
        step("%s created from the form; quota says %r" % (vm, quota))

        p.action(vm, "start")
        p.wait_state(vm, "running", 60)
        b.screenshot(os.path.join(art, "panel.png"))
        step("started: running in the list")

        # its page: the screen and the console
        p.open_vm(vm)
        p.wait_view("screen", 60)
        p.wait_view("console", 30)
        b.wait(booted, "the guest's ready marker", 120)
        time.sleep(1)
        png = p.screen_png(os.path.join(art, "screen.png"))
        ok, how = shows_something(png)
        assert ok, "the screen looks blank: " + how
        step("screen connected; screenshot %s" % how)
        answer = p.console_answer("WB", "$((6*7))")
        assert answer == "42", "the guest answered %r" % answer
        answer = p.console_answer("WU", "$(uname -s)")
        assert answer == "Linux", "the guest answered %r" % answer
        b.screenshot(os.path.join(art, "vm-page.png"))
        step("typed into the serial console: the guest answered 42, Linux")

        # stopped by fwsctl: the open page follows, without a reload
        b.js("window.fwsMark = 'still here'")
        subprocess.run(stop_argv, check=True, stdout=subprocess.DEVNULL)
        p.wait_vm_state("stopped", 60)
        assert b.js("return window.fwsMark") == "still here", "reloaded"
        b.wait_css('#console-status[data-state="closed"]')
        assert b.exists('#events li[data-event="stopped"]')
        step("stopped by fwsctl: the page says stopped, live")

        # back to the list: delete, with the question answered
        b.get(url + "/")
        p.ready()
        p.wait_state(vm, "stopped")
        p.action(vm, "delete")
        b.wait(lambda: not p.has_row(vm), vm + " gone from the list")
        b.wait_css("#no-vms:not([hidden])")
        step("deleted from the list")
    except Exception:
        b.save_failure(art)
        raise
print("  browser-flow: screenshots in %s" % art)
