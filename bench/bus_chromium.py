"""The Chromium reference of the bus benchmark: its own data channel, unbatched.

Headless Chromium (the system's ``chromium``, driven by Playwright; no
browser is downloaded) opens two peer connections in one page and measures
them with ``bench/chromium/bus.html``. Chromium has no switch to limit the
interfaces it gathers ICE candidates on, and it ignores loopback, so it runs
in a network namespace of its own (:func:`run_isolated`) whose one interface
is a veth end with a private address and a default route (without a route
Chromium finds no usable network and never connects). Nothing it sends can
leave that namespace: the other veth end has no address and goes nowhere.

    python bench/bus_chromium.py            # prints one JSON object (needs root)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parent / "chromium" / "bus.html"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",  # root in a container: the sandbox cannot start
    # Host candidates as plain addresses, not mDNS names nobody here resolves.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--allow-loopback-in-peer-connection",
]


def chromium_path() -> str | None:
    """The Chromium the benchmark may use, or ``None`` (no download is ever tried)."""
    path = os.environ.get("AVACOLLAB_BENCH_CHROMIUM", CHROMIUM)
    if not Path(path).is_file():
        return None
    try:
        import playwright  # noqa: F401
    except ImportError:
        return None
    return path


def available() -> str | None:
    """Why the reference cannot run here, or ``None`` when it can."""
    if chromium_path() is None:
        return "no chromium or no playwright"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "no unshare or ip to make a private network namespace"
    if os.geteuid() != 0:
        return "a private network namespace needs root"
    return None


async def measure(options: dict[str, Any]) -> dict[str, Any]:
    """Run the page's benchmark in headless Chromium and return its figures."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        try:
            page = await browser.new_page()
            await page.goto(PAGE.as_uri())
            version = browser.version
            result: dict[str, Any] = await page.evaluate("(o) => runBench(o)", options)
        finally:
            await browser.close()
    result["version"] = version
    return result


NAMESPACE_SETUP = " && ".join(
    [
        "ip link set lo up",
        "ip link add bench0 type veth peer name bench1",
        "ip addr add 10.99.0.1/24 dev bench0",
        "ip link set bench0 up",
        "ip link set bench1 up",
        "ip route add default via 10.99.0.2 dev bench0",
    ]
)


def run_isolated(options: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run :func:`measure` in a new, private network namespace (needs root)."""
    script = f'{NAMESPACE_SETUP} && exec "{sys.executable}" "{__file__}" --inside --options "$0"'
    done = subprocess.run(
        ["unshare", "--net", "sh", "-c", script, json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"chromium benchmark failed: {done.stderr.strip()[-2000:]}")
    value: dict[str, Any] = json.loads(done.stdout)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--options", default="{}", help="JSON options for runBench")
    # Set by run_isolated once in the private namespace; run by hand, the
    # script first moves itself there.
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    reason = available()
    if reason is not None:
        parser.exit(1, f"cannot run: {reason}\n")
    options = {
        "small": 30,
        "smallCount": 50_000,
        "bulk": 16_384,
        "bulkCount": 1024,
        "latencyCount": 500,
        "gapMs": 2,
        "high": 262_144,
        "low": 65_536,
    }
    options.update(json.loads(args.options))
    inside = args.inside
    print(json.dumps(asyncio.run(measure(options)) if inside else run_isolated(options, 300)))


if __name__ == "__main__":
    main()
