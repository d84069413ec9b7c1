"""webdriver.py: a small client of the W3C WebDriver HTTP protocol for
the browser tests: it starts chromedriver on a free loopback port, a
headless Chromium session (certificates not checked: fws-web's is
self-signed in the tests), and drives it: pages, windows, elements,
clicks, keys, scripts, screenshots, waits.  Everything it started
(chromedriver, Chromium and the helpers Chromium forks, found by their
profile directory) is ended by PID when the test ends, passed or
failed: close(), the with-statement, or at exit.

Only the standard library: urllib against chromedriver's JSON API.
"""
import atexit
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class WebDriverError(Exception):
    """An error chromedriver answered with, or a wait that ran out."""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _our_pids(marker):
    """PIDs whose command line names marker (our profile directory)."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if marker.encode() in f.read():
                    pids.append(int(p))
        except OSError:
            pass
    return pids


class Element:
    def __init__(self, browser, eid, what):
        self.browser, self.id, self.what = browser, eid, what

    def _call(self, method, path, body=None):
        return self.browser._call(method, "/element/%s%s" % (self.id, path),
                                  body)

    def click(self):
        self._call("POST", "/click", {})
        return self

    def send_keys(self, text):
        self._call("POST", "/value", {"text": text})
        return self

    def clear(self):
        self._call("POST", "/clear", {})
        return self

    @property
    def text(self):
        return self._call("GET", "/text")

    def prop(self, name):
        return self._call("GET", "/property/%s" % name)

    def attr(self, name):
        return self._call("GET", "/attribute/%s" % name)

    def enabled(self):
        return self._call("GET", "/enabled")

    def displayed(self):
        return self._call("GET", "/displayed")

    def find(self, css):
        r = self._call("POST", "/element",
                       {"using": "css selector", "value": css})
        return Element(self.browser, r[ELEMENT], css)

    def find_all(self, css):
        r = self._call("POST", "/elements",
                       {"using": "css selector", "value": css})
        return [Element(self.browser, e[ELEMENT], css) for e in r]

    def screenshot(self, path=None):
        png = base64.b64decode(self._call("GET", "/screenshot"))
        if path:
            with open(path, "wb") as f:
                f.write(png)
        return png


class Browser:
    """One chromedriver and one headless Chromium session."""

    def __init__(self, width=1280, height=1000, timeout=30):
        self.timeout = timeout
        self.session = None
        self.driver = None
        # FWS_BROWSER_TMP: where the profile goes (a test's directory, so
        # that its cleanup finds what names it)
        self.profile = tempfile.mkdtemp(prefix="fws-web-chromium.",
                                        dir=os.environ.get("FWS_BROWSER_TMP"))
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        log = open(os.path.join(self.profile, "chromedriver.log"), "wb")
        self.driver = subprocess.Popen(
            [CHROMEDRIVER, "--port=%d" % self.port,
             "--allowed-ips=127.0.0.1", "--log-path=" +
             os.path.join(self.profile, "chromedriver.log")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        atexit.register(self.close)
        self._wait_driver()
        args = ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                "--ignore-certificate-errors", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync",
                "--window-size=%d,%d" % (width, height),
                "--user-data-dir=" + os.path.join(self.profile, "profile")]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": True,
            "pageLoadStrategy": "normal",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}}
        r = self._raw("POST", "/session", caps)
        self.session = r["sessionId"]
        self._call("POST", "/timeouts", {"script": timeout * 1000,
                                         "pageLoad": timeout * 1000,
                                         "implicit": 0})

    # the wire

    def _raw(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout + 30) as r:
                reply = json.load(r)
        except urllib.error.HTTPError as e:
            try:
                reply = json.load(e)
            except ValueError:
                raise WebDriverError("%s %s: HTTP %d" % (method, path,
                                                         e.code))
        v = reply.get("value") if isinstance(reply, dict) else None
        if isinstance(v, dict) and "error" in v:
            raise WebDriverError("%s %s: %s: %s" % (
                method, path, v["error"], v.get("message", "")[:500]))
        return v

    def _call(self, method, path, body=None):
        return self._raw(method, "/session/%s%s" % (self.session, path),
                         body)

    def _wait_driver(self):
        end = time.time() + 20
        while time.time() < end:
            if self.driver.poll() is not None:
                raise WebDriverError("chromedriver exited (%d)" %
                                     self.driver.returncode)
            try:
                with urllib.request.urlopen(self.base + "/status",
                                            timeout=2) as r:
                    if json.load(r)["value"]["ready"]:
                        return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        raise WebDriverError("chromedriver did not start")

    # pages

    def get(self, url):
        self._call("POST", "/url", {"url": url})

    @property
    def url(self):
        return self._call("GET", "/url")

    # windows (tabs): one session, one cookie jar

    @property
    def window(self):
        return self._call("GET", "/window")

    def new_window(self):
        """A new tab, switched to; its handle."""
        h = self._call("POST", "/window/new", {"type": "tab"})["handle"]
        self.switch_to(h)
        return h

    def switch_to(self, handle):
        self._call("POST", "/window", {"handle": handle})

    @property
    def title(self):
        return self._call("GET", "/title")

    def find(self, css):
        r = self._call("POST", "/element",
                       {"using": "css selector", "value": css})
        return Element(self, r[ELEMENT], css)

    def find_all(self, css):
        r = self._call("POST", "/elements",
                       {"using": "css selector", "value": css})
        return [Element(self, e[ELEMENT], css) for e in r]

    def exists(self, css):
        return len(self.find_all(css)) > 0

    def js(self, script, *args):
        """Run script (a function body: 'return ...') with arguments."""
        return self._call("POST", "/execute/sync",
                          {"script": script, "args": list(args)})

    def js_async(self, script, *args):
        """script's last argument is the callback it must call."""
        return self._call("POST", "/execute/async",
                          {"script": script, "args": list(args)})

    def keys(self, text):
        """Keys typed into whatever has the focus (the Actions API)."""
        acts = []
        for ch in text:
            acts += [{"type": "keyDown", "value": ch},
                     {"type": "keyUp", "value": ch}]
        self._call("POST", "/actions", {"actions": [
            {"type": "key", "id": "keyboard", "actions": acts}]})
        self._call("DELETE", "/actions")

    def screenshot(self, path=None):
        png = base64.b64decode(self._call("GET", "/screenshot"))
        if path:
            with open(path, "wb") as f:
                f.write(png)
        return png

    def console_log(self):
        """The page's console lines so far (chromedriver's own verb)."""
        try:
            return self._call("POST", "/se/log", {"type": "browser"})
        except WebDriverError:
            return []

    def save_failure(self, art):
        """What the page showed when a test failed, into directory art:
        failed.png and failed-console.txt (a failure to save them is
        not the test's)."""
        try:
            self.screenshot(os.path.join(art, "failed.png"))
            with open(os.path.join(art, "failed-console.txt"), "w") as f:
                for line in self.console_log():
                    f.write("%s\n" % line)
        except Exception:
            pass

    # waits

    def wait(self, cond, what, timeout=None):
        """Until cond() is true (its value is returned), else fail."""
        end = time.time() + (timeout or self.timeout)
        last = None
        while True:
            try:
                v = cond()
                if v:
                    return v
            except WebDriverError as e:
                last = e
            if time.time() > end:
                raise WebDriverError("timed out waiting for %s%s" % (
                    what, ": %s" % last if last else ""))
            time.sleep(0.2)

    def wait_css(self, css, timeout=None):
        return self.wait(lambda: (self.find_all(css) or [None])[0],
                         "an element " + css, timeout)

    def wait_text(self, css, text, timeout=None):
        """Until the element's text holds text; the text is returned."""
        def cond():
            els = self.find_all(css)
            t = els[0].text if els else ""
            return t if text in t else None
        return self.wait(cond, "'%s' in %s" % (text, css), timeout)

    def wait_url(self, part, timeout=None):
        return self.wait(lambda: part in self.url, "the address to hold " +
                         part, timeout)

    # the end

    def close(self):
        if self.session is not None:
            try:
                self._raw("DELETE", "/session/%s" % self.session)
            except (WebDriverError, OSError):
                pass
            self.session = None
        if self.driver is not None:
            if self.driver.poll() is None:
                self.driver.terminate()
                try:
                    self.driver.wait(5)
                except subprocess.TimeoutExpired:
                    self.driver.kill()
                    self.driver.wait()
            self.driver = None
        # Chromium and its helpers, whatever is left of them
        if self.profile and os.path.isdir(self.profile):
            for _ in range(50):
                pids = _our_pids(self.profile)
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.1)
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
