"""browser-more.py: the panel's snapshots and an admin's view in a real
browser, driven by t-web-browser-more.sh against a real fwsd, fws-web
and qemu:  CONFIG.json (the test writes it: the panel's address,
fwsctl and fwsd's socket to get one-time links, the users A, B and ADM
with their uids, the VMs' names and console logs, the networks).

A makes VM (SNAP) with a disk from the create form and starts it; with
its page open in a second tab (its console and its events), A takes a
snapshot from the list, changes the guest (a file in its tmpfs, a shell
variable), reverts to the snapshot from the list and finds the guest as
it was; the page shows both as events.  B, a plain user, cannot revert
to, delete or list A's snapshot (404 by name, 403 naming A as owner),
nor open its console; B's panel shows neither owners nor networks, and
only the network open to users.  A, again, deletes the snapshot: none
left.  ADM, an admin with a stopped VM of the same name as B's running
SHARED, sees every owner's VMs with their owners and the networks,
opens B's SHARED from its row (its console answers with B's kernel
command line, its screen shows something), and stops it from the list.
Screenshots go to $ARTEFACTS."""
import json
import os
import subprocess
import sys
import time

import webdriver
from panel import Panel, shows_something

with open(sys.argv[1]) as f:
    cf = json.load(f)
url = cf["url"]
A, B, ADM = cf["a"], cf["b"], cf["adm"]
SNAP, SHARED = cf["snap_vm"], cf["shared_vm"]
art = os.environ.get("ARTEFACTS", ".")
t0 = time.time()


def step(what):
    print("  browser-more: %5.1f s  %s" % (time.time() - t0, what),
          flush=True)


def link(user):
    """A one-time link of user's, from fwsctl web-login."""
    return subprocess.run(
        ["runuser", "-u", user["user"], "--", cf["fwsctl"], "--socket",
         cf["sock"], "web-login"], check=True, capture_output=True,
        text=True).stdout.strip()


def booted(log):
    def ready():
        try:
            with open(log, "rb") as f:
                return b"FWS-GUEST-READY" in f.read()
        except OSError:
            return False
    return ready


def call(b, method, path, body=None):
    """The page's own request (api.js: the session's CSRF token with
    it): [HTTP status, result or error code]."""
    return b.js_async(
        "const [m, p, body, done] = arguments;"
        "import('/static/api.js').then(async (api) => {"
        "  await api.needSession();"
        "  try { done([200, await api.request(m, p, body ?? undefined)]); }"
        "  catch (e) { done([e.status, e.code]); }"
        "}).catch((e) => done([0, String(e)]));", method, path, body)


def ws(b, path):
    """A WebSocket to path from the page: open, or error."""
    return b.js_async(
        "const done = arguments[arguments.length - 1];"
        "const ws = new WebSocket(arguments[0]);"
        "ws.onopen = () => { ws.close(); done('open'); };"
        "ws.onerror = () => done('error');"
        "setTimeout(() => done('timeout'), 20000);",
        url.replace("https:", "wss:") + path)


def event_text(b, words):
    """The VM page's event holding words."""
    return b.wait(lambda: [e.text for e in
                           b.find_all('#events li[data-event="snapshot"]')
                           if words in e.text], "the event '%s'" % words,
                  120)


def shown(b, css):
    return b.find(css).displayed()


with webdriver.Browser() as b:
    p = Panel(b, url)
    try:
        # --- A: a VM with a disk, made and started from the panel
        p.login_link(link(A))
        assert p.who() == A["user"], p.who()
        p.create({"name": SNAP, "vcpus": 1, "memory": 256, "disk": 1,
                  "kernel": "vmlinuz", "initrd": "initrd.img",
                  "append": cf["append"]})
        p.wait_status("Created " + SNAP)
        p.wait_state(SNAP, "stopped")
        p.action(SNAP, "start")
        p.wait_state(SNAP, "running", 60)
        list_tab = b.window
        vm_tab = b.new_window()
        p.open_vm(SNAP)
        p.wait_view("console", 60)
        b.wait(booted(cf["snap_console"]), "%s's ready marker" % SNAP, 150)
        time.sleep(1)
        size = p.console_answer("SZ", "$(cat /sys/block/vda/size)")
        assert size == "2097152", "the guest's disk: %r sectors" % size
        p.type_console("echo before > /tmp/mark; X=one\n")
        got = p.console_answer("M1", "$(cat /tmp/mark)-$X")
        assert got == "before-one", got
        step("%s made with a 1 GiB disk and started from the panel; "
             "the guest marked 'before-one'" % SNAP)

        # a snapshot from the list; the open page hears of it
        b.switch_to(list_tab)
        assert p.snapshots(SNAP) == []
        assert "No snapshots." in b.find("#snap-rows").text
        p.take_snapshot("s1")
        p.wait_status("snapshot s1 taken", 120)
        assert p.wait_snaps(lambda t: t == ["s1"], "s1 listed") == ["s1"]
        # read through a wait: the list is drawn anew when events come
        kind = b.wait_text('#snap-rows tr[data-tag="s1"] td:nth-child(3)',
                           "with memory")
        assert kind == "with memory", kind
        b.screenshot(os.path.join(art, "snapshots.png"))
        b.switch_to(vm_tab)
        event_text(b, "snapshot s1 taken")
        step("snapshot s1 taken from the list (%s); the VM's page shows "
             "the event" % kind)

        # changed, then reverted from the list: as it was
        p.type_console("echo after > /tmp/mark; X=two\n")
        got = p.console_answer("M2", "$(cat /tmp/mark)-$X")
        assert got == "after-two", got
        b.switch_to(list_tab)
        p.snap_action("s1", "revert")
        p.wait_status("reverted to s1", 120)
        b.switch_to(vm_tab)
        event_text(b, "reverted to snapshot s1")
        assert p.vm_state() == "running", p.vm_state()
        got = p.console_answer("M3", "$(cat /tmp/mark)-$X")
        assert got == "before-one", "after the revert: %r" % got
        b.screenshot(os.path.join(art, "reverted.png"))
        step("changed to 'after-two', reverted from the list: the guest "
             "says 'before-one' again, the page shows the event, running")
        b.get("about:blank")
        b.switch_to(list_tab)
        p.logout()

        # --- B, a plain user: A's snapshot is out of reach; no owners,
        # no networks
        p.login_link(link(B))
        assert p.who() == B["user"], p.who()
        p.wait_state(SHARED, "running", 60)
        names = [r.attr("data-vm") for r in b.find_all("#vm-rows tr")]
        assert names == [SHARED], "B sees %r" % names
        assert not shown(b, "#networks-section"), "B sees the networks"
        assert not shown(b, "#vms thead th.admin-only"), "B sees owners"
        assert not b.find_all("#net-rows tr"), "network rows for B"
        nets = [o.attr("value") for o in b.find_all("#create-net option")]
        assert nets == ["", cf["net_open"]], "B's choice of networks %r" % (
            nets,)
        st, res = call(b, "GET", "/api/networks")
        assert st == 200 and [n["name"] for n in res] == [cf["net_open"]], \
            res
        assert all("nics" not in n and "dhcp_pid" not in n for n in res), res
        snap = "/api/vms/%s/snapshots" % SNAP
        for method, path, body in (("POST", snap + "/s1/revert", None),
                                   ("DELETE", snap + "/s1", None),
                                   ("GET", snap, None),
                                   ("POST", snap, {"tag": "b1"})):
            st, code = call(b, method, path, body)
            assert st == 404, "B: %s %s: %s %s" % (method, path, st, code)
            q = "?owner=%d" % A["uid"]
            st, code = call(b, method, path + q, body)
            assert st == 403, "B: %s %s%s: %s %s" % (method, path, q, st,
                                                      code)
        for kind in ("console", "screen"):
            for q in ("", "?owner=%d" % A["uid"]):
                r = ws(b, "/ws/%s/%s%s" % (kind, SNAP, q))
                assert r == "error", "B: %s of %s%s: %s" % (kind, SNAP, q, r)
        b.screenshot(os.path.join(art, "plain-user.png"))
        step("B: A's snapshot not revertable, deletable nor listed (404; "
             "403 naming A), nor its console or screen; B's panel: one VM, "
             "no owners, no networks, only %s to choose" % cf["net_open"])
        p.logout()

        # --- A again: the snapshot, untouched, deleted from the panel
        p.login_link(link(A))
        assert p.snapshots(SNAP) == ["s1"], "s1 is gone"
        p.snap_action("s1", "delete")
        p.wait_status("deleted snapshot s1", 60)
        p.wait_snaps(lambda t: t == [], "no snapshots left")
        assert "No snapshots." in b.find("#snap-rows").text
        p.action(SNAP, "destroy")
        p.wait_state(SNAP, "stopped", 60)
        step("A: s1 still there after B's tries, deleted from the panel: "
             "none left; %s powered off" % SNAP)
        p.logout()

        # --- ADM, an admin: every owner's VMs, the networks, B's VM
        p.login_link(link(ADM))
        assert p.who() == ADM["user"] + " (admin)", p.who()
        for name, who in ((SNAP, A), (SHARED, B), (SHARED, ADM)):
            b.wait_css(p.row(name, who["uid"]))
        owners = {(r.attr("data-vm"), r.find(".owner").text)
                  for r in b.find_all("#vm-rows tr")}
        want = {(SNAP, "uid %d" % A["uid"]), (SHARED, "uid %d" % B["uid"]),
                (SHARED, "you")}
        assert owners == want, "the admin's list: %r" % owners
        assert shown(b, "#vms thead th.admin-only"), "no owner column"
        assert shown(b, "#networks-section"), "no networks for the admin"
        nets = b.wait(lambda: {r.attr("data-net"): [c.text for c in
                               r.find_all("td")]
                               for r in b.find_all("#net-rows tr")} or None,
                      "the networks")
        assert nets == cf["net_rows"], "the networks: %r" % nets
        b.screenshot(os.path.join(art, "admin-panel.png"))
        step("ADM sees %d VMs of three owners, and the networks %s"
             % (len(owners), sorted(nets)))

        # B's SHARED, not ADM's own: by its owner, on its page too
        assert ws(b, "/ws/console/" + SHARED) == "error", \
            "ADM's own stopped %s has a console" % SHARED
        assert ws(b, "/ws/console/%s?owner=%d" % (SHARED, B["uid"])) == \
            "open", "B's %s's console refused to the admin" % SHARED
        b.find(p.row(SHARED, B["uid"]) + ' a[data-action="open"]').click()
        b.wait_url("owner=%d" % B["uid"])
        p.ready()
        assert p.vm_state() == "running", p.vm_state()
        p.wait_view("console", 60)
        p.wait_view("screen", 60)
        b.wait(booted(cf["shared_console"]), "%s's ready marker" % SHARED,
               150)
        got = p.console_answer("WHO",
                               "$(grep -o 'fws.who=[a-z]*' /proc/cmdline)")
        assert got == "fws.who=" + cf["shared_mark"], got
        time.sleep(1)
        png = p.screen_png(os.path.join(art, "admin-screen.png"))
        ok, how = shows_something(png)
        assert ok, "B's screen looks blank: " + how
        b.screenshot(os.path.join(art, "admin-vm-page.png"))
        step("ADM opened B's %s from its row: its console answers %r, its "
             "screen %s" % (SHARED, got, how))

        # and stops it from the list
        b.get(url + "/")
        p.ready()
        p.action(SHARED, "stop", owner=B["uid"])
        p.wait_state(SHARED, "stopped", 90, owner=B["uid"])
        assert p.state(SHARED, ADM["uid"]) == "stopped"
        step("ADM stopped B's %s from the list" % SHARED)
    except Exception:
        b.save_failure(art)
        raise
print("  browser-more: screenshots in %s" % art)
