"""The Airflow UI in a real browser: a compiled DAG reads well (node names, mapped blocks by item, docstrings).

Drives Debian's chromium through chromedriver with selenium, headless, against the standalone
server. Skipped when any of the three is missing (apt-get install -y chromium chromium-driver;
pip install selenium). Set HAMILFLOW_UI_SCREENSHOT=docs/airflow-ui.png to refresh the README's
screenshot; otherwise it goes to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from hamilflow.runtime.task import LoadedPipeline
from tests.scheduler.conftest import PASSWORD, REPO, USER
from tests.scheduler.pipelines import dag_spec

pytestmark = [pytest.mark.scheduler, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT = 90  # seconds for one page of the React UI on a busy machine


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1700,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log")), options=options
    )
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT, poll_frequency=0.5).until(condition)
    except TimeoutException:
        raise AssertionError(f"the UI did not show {what} within {WAIT} s (at {driver.current_url})") from None


def _log_in(driver, base_url: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base_url}/auth/login")
    _wait(driver, lambda d: d.find_elements(By.NAME, "username"), "the login form")
    driver.find_element(By.NAME, "username").send_keys(USER)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    _wait(driver, lambda d: "/auth/login" not in d.current_url, "the home page after logging in")


def test_graph_shows_node_names_mapped_items_and_docstrings(airflow_server, word_count_run, browser, tmp_path):
    from selenium.webdriver.common.by import By

    pipeline = LoadedPipeline(dag_spec("word_count"))
    task_ids = {t.name for t in pipeline.plan.tasks}
    _log_in(browser, airflow_server.base_url)

    # The run's graph, with the mapped block selected: its instances are listed by item
    run = quote(word_count_run, safe="")
    browser.get(f"{airflow_server.base_url}/dags/word_count/runs/{run}/tasks/url_loaded__counts/mapped")
    graph_button = _wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button[aria-label^='Show Graph']"), "the graph button"
    )
    graph_button[0].click()

    def graph_nodes(driver):
        found = driver.find_elements(By.CSS_SELECTOR, ".react-flow__node")
        return found if len(found) >= len(task_ids) else None

    nodes = _wait(browser, graph_nodes, "the graph's task nodes")
    assert {n.get_attribute("data-id") for n in nodes} == task_ids
    texts = {n.get_attribute("data-id"): n.text for n in nodes}
    # a mapped task of two nodes, 3 instances: its short display name, while its id stays url_loaded__counts
    assert texts["url_loaded__counts"].startswith("url_loaded + counts [3]"), texts
    page = _wait(
        browser,
        lambda d: (text := d.find_element(By.TAG_NAME, "body").text) and "pride.txt'" in text and text,
        "the mapped instances labelled by item",
    )
    for name in ("alice.txt", "moby.txt", "pride.txt"):
        assert f"{name}'" in page and "url='file://" in page
    time.sleep(1)  # let the graph finish its layout animation before the picture
    screenshot = Path(os.environ.get("HAMILFLOW_UI_SCREENSHOT") or tmp_path / "airflow-ui.png")
    if not screenshot.is_absolute():
        screenshot = REPO / screenshot
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(screenshot)), screenshot

    # A task's documentation is its nodes' docstrings
    browser.get(f"{airflow_server.base_url}/dags/word_count/tasks/url_loaded__counts")
    docs_button = _wait(
        browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button[aria-label='Documentation']"), "the docs button"
    )
    docs_button[0].click()

    def documentation(driver):
        text = " ".join(x.text for x in driver.find_elements(By.CSS_SELECTOR, "[role=dialog]"))
        return text if "Task Documentation" in text else None

    dialog = _wait(browser, documentation, "the task documentation")
    for node in ("url_loaded", "counts"):
        assert pipeline.graph.nodes[node].documentation in dialog, dialog
