"""A headless Chromium for the console's tests (tests/e2e/test_console_*.py), driven by Debian's python3-selenium
through /usr/bin/chromedriver (scripts/install-deps.sh installs chromium, chromium-driver and python3-selenium).

    with console_browser.browser(server.url) as b:
        b.get("/console/signin")
        b.fill("account", "123456789012"); ...; b.click("signin-button")
        assert b.text("signer-arn") == arn
        b.screenshot("home")            # build/console-screens/home.png

Every browser has its own temporary profile directory (no cookie or cache is shared between tests), timeouts on
page loads and scripts, and is always quit (the context manager), so a failing test leaves no chromium behind.
"""
import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[2]
SCREENS = REPO / "build" / "console-screens"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PAGE_LOAD_TIMEOUT = 30
WAIT = 15


class Browser:
    """One headless Chromium; base is the server's URL (http://127.0.0.1:PORT). Element arguments are ids."""

    def __init__(self, base, accept_certs=False):
        self.base = base.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="rg-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-extensions", "--disable-background-networking", "--window-size=1280,900",
                  f"--user-data-dir={self.profile}"):
            opts.add_argument(a)
        if os.geteuid() == 0:
            opts.add_argument("--no-sandbox")  # chromium refuses to run its sandbox as root
        if accept_certs:
            opts.add_argument("--ignore-certificate-errors")
        try:
            self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        self.driver.set_script_timeout(10)

    def get(self, path):
        """Loads base + path (a path of the server: "/console/signin")."""
        self.driver.get(self.base + path)

    def path(self):
        """The current URL's path (and query)."""
        url = self.driver.current_url
        return url[len(self.base):] if url.startswith(self.base) else url

    def el(self, id_):
        return WebDriverWait(self.driver, WAIT).until(EC.presence_of_element_located((By.ID, id_)))

    def fill(self, id_, value):
        e = self.el(id_)
        e.clear()
        e.send_keys(value)

    def click(self, id_):
        """Clicks element id_ and waits for the page it leads to (the old page's <html> gone stale)."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.el(id_).click()
        try:
            self.wait_gone(old)
        except TimeoutException:
            pass  # a click that does not navigate

    def wait_gone(self, old, timeout=WAIT):
        """Waits until element old belongs to a page that has been replaced. While Chromium swaps pages, asking
        about the old element can also fail with an "unhandled inspector error" instead of a stale reference: that
        is asked again, not taken as an answer."""
        def gone(_driver):
            try:
                old.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException:
                return False  # mid-navigation; the next poll tells
        WebDriverWait(self.driver, timeout).until(gone)

    def submit_form(self, form_id):
        """Submits a form (the page it leads to is waited for)."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.el(form_id).submit()
        self.wait_gone(old)

    def text(self, id_):
        return self.el(id_).text

    def exists(self, id_):
        return bool(self.driver.find_elements(By.ID, id_))

    def source(self):
        return self.driver.page_source

    def cookies(self):
        """The browser's cookies for the current page: {name: cookie dict (httpOnly, sameSite, secure...)}."""
        return {c["name"]: c for c in self.driver.get_cookies()}

    def screenshot(self, name):
        """Writes build/console-screens/NAME.png (the whole window) and returns its path."""
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self):
        """The browser console's SEVERE messages (a CSP violation is one)."""
        try:
            return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]
        except Exception:
            return []

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


@contextlib.contextmanager
def browser(base, accept_certs=False):
    """A Browser that is always quit."""
    b = Browser(base, accept_certs=accept_certs)
    try:
        yield b
    finally:
        b.quit()


def wait_until(predicate, timeout=WAIT):
    """Polls predicate() until it is true (bounded); returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.1)
