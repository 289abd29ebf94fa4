"""The tables and the chart of the docs page "How far does it go?", from recorded results.

    python tools/loadtest/report.py   # after `nox -s figures` (or runs with --record)

Reads docs/assets/loadtest/results.jsonl and writes table.md (included by the page) and
chart.svg beside it; reads thousand.jsonl (`nox -s thousand`: runs of one load, repeated) and
writes thousand.md. Standard library only; the same results give the same files.
"""

import json
import math
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "docs" / "assets" / "loadtest"

CONFIGURATIONS = {  # (step, layer, server, --gc-threshold) -> its name in the tables
    ("04", "in-memory", "daphne", None): "04, in-memory layer",
    ("05", "redis", "daphne", None): "05, Redis layer",
    ("06", "redis", "daphne", None): "06, Redis layer",
    ("06", "pubsub", "daphne", None): "06, Redis pub/sub layer",
    ("06", "pubsub", "uvicorn", None): "06, pub/sub layer, uvicorn",
    ("06", "pubsub", "granian", None): "06, pub/sub layer, granian",
    ("06", "pubsub", "granian", 50_000): "06, pub/sub, granian, collector tuned",
}
COLOURS = ["#8e8e8e", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b",
           "#e377c2"]  # fmt: skip
CLIENT_BOUND = 90  # % of a core: a client process this busy delays its own deliveries


def configuration_of(record):
    return (record["step"][:2], record["layer"], record.get("server", "daphne"),
            record.get("gc_threshold"))  # fmt: skip


def load(path):
    """The newest record of each (configuration, clients, ceiling or not)."""
    records = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        records[(*configuration_of(record), record["clients"], record["ceiling"])] = record
    return records


def runs_of(records, configuration, ceiling):
    """[(clients, record)] of one configuration, by clients."""
    return sorted(
        (key[4], record)
        for key, record in records.items()
        if key[:4] == configuration and key[5] == ceiling
    )


def best_clean(rounds):
    clean = [r for r in rounds if r["lost"] == r["duplicates"] == r["reordered"] == 0]
    clean = [r for r in clean if r["p99_ms"] < 1000]
    return max(clean, key=lambda r: r["deliveries_per_s"], default=None)


def steady_table(records):
    head = (
        "| Configuration | Clients | Delivered | Lost | Sockets closed | p50 ms | p99 ms | max ms "
        "| CPU µs / delivery | Memory KiB / client | Client CPU % |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    )
    rows, baselines = [], {}
    for configuration, name in CONFIGURATIONS.items():
        for clients, record in runs_of(records, configuration, ceiling=False):
            rows.append(row(name, clients, record["app"][0]))
            baselines[clients] = record["baseline"][0]
    rows += [row("baseline", c, r) for c, r in sorted(baselines.items())]
    return head + "\n".join(rows) + "\n"


def row(name, clients, r):
    return (
        f"| {name} | {clients} | {r['delivered']:,} | {r['lost']:,} | {r['closed']:,} "
        f"| {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {ms(r['max_ms'])} "
        f"| {r['cpu_us_per_delivery']:,.0f} | {r['rss_kib_per_client']:.0f} "
        f"| {client_cpu(r)} |"
    )


def ms(value):
    """A latency, or a dash when nothing arrived to time."""
    return "—" if math.isnan(value) else f"{value:,.0f}"


def client_cpu(r):
    """The clients' CPU, all processes (100 = one core), flagged when one process was so
    busy that the round may say more about the clients than about the server."""
    bound = " client-bound" if r["client_busiest_percent"] >= CLIENT_BOUND else ""
    return f"{r['client_cpu_percent']:.0f}{bound}"


def ceiling_table(records):
    head = (
        "| Configuration | Clients | Clean ceiling, deliveries/s | At messages/s | p99 ms "
        "| CPU µs / delivery | Client CPU % | Baseline's ceiling | Its client CPU % "
        "| App / baseline |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    )
    rows = []
    for configuration, name in CONFIGURATIONS.items():
        for clients, record in runs_of(records, configuration, ceiling=True):
            app, bare = best_clean(record["app"]), best_clean(record["baseline"])
            if app is None or bare is None:
                rows.append(f"| {name} | {clients} | none | | | | | | | |")
                continue
            more = " or more" if app["at_limit"] else ""  # stopped by the app's limit per user
            rows.append(
                f"| {name} | {clients} | {app['deliveries_per_s']:,.0f}{more} | {app['rate']:.0f} "
                f"| {app['p99_ms']:.0f} | {app['cpu_us_per_delivery']:,.0f} | {client_cpu(app)} "
                f"| {bare['deliveries_per_s']:,.0f} | {client_cpu(bare)} "
                f"| {app['deliveries_per_s'] / bare['deliveries_per_s']:.2f} |"
            )
    return head + "\n".join(rows) + "\n"


def repeated_table(path):
    """Runs of one load, repeated: each figure as the median of the runs of a configuration,
    then the lowest and the highest."""
    runs = {}
    for line in path.read_text().splitlines():
        record = json.loads(line)
        runs.setdefault(configuration_of(record), []).append(record)
    first = next(iter(runs.values()))[0]
    head = (
        f"**{first['clients']:,} clients, {first['app'][0]['rate']:g} messages a second, "
        f"step {first['step'][:2]}:** "
        "the median of the runs, then the lowest and the highest\n\n"
        "| Server | Runs | Lost, all runs | p99 ms | CPU µs / delivery | Bare server's µs | Ratio "
        "| Collector µs / delivery | Memory KiB / client |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    )
    rows = []
    for (_step, _layer, server, threshold), records in runs.items():
        app = [r["app"][0] for r in records]
        bare = [r["baseline"][0]["cpu_us_per_delivery"] for r in records]
        ratios = [a["cpu_us_per_delivery"] / b for a, b in zip(app, bare, strict=True)]
        name = server + (f", collector every {threshold:,}" if threshold else "")
        rows.append(
            f"| {name} | {len(app)} | {sum(a['lost'] for a in app):,} "
            f"| {spread([a['p99_ms'] for a in app])} "
            f"| {spread([a['cpu_us_per_delivery'] for a in app])} | {spread(bare, '.1f')} "
            f"| {spread(ratios, '.1f')} "
            f"| {spread([sum(a['gc_us_per_delivery']) for a in app], '.1f')} "
            f"| {spread([a['rss_kib_per_client'] for a in app])} |"
        )
    return head + "\n".join(rows) + "\n"


def spread(values, form=",.0f"):
    """The median, then the lowest and the highest: "120 (114 to 135)"."""
    low, middle, high = (format(v, form) for v in (min(values), statistics.median(values),
                                                   max(values)))  # fmt: skip
    return f"{middle} ({low} to {high})"


def machine_line(records):
    m = next(iter(records.values()))["machine"]
    return (
        f"Measured on {m['cores']} cores of {m['cpu']}, {m['memory_gib']} GiB, "
        f"{m['system']}, Python {m['python']}.\n"
    )


def bars(x, y, width, height, title, unit, groups, series, cap=None):
    """A bar chart: `groups` along the bottom, one bar per series in each; values may be
    None (not measured). A bar over `cap` stops at the top, its value written inside it.
    Returns SVG elements."""
    top = max((v for _, values in series for v in values if v is not None), default=1)
    top = min(top, cap) if cap else top
    plot_h = height - 70
    group_w = width / len(groups)
    bar_w = min(48, (group_w - 20) / len(series))  # wide enough for its label
    out = [
        f'<text x="{x}" y="{y + 14}" class="title">{title}</text>',
        f'<line x1="{x}" y1="{y + 30 + plot_h}" x2="{x + width}" y2="{y + 30 + plot_h}" '
        'class="axis"/>',
    ]
    for g, group in enumerate(groups):
        gx = x + g * group_w + (group_w - bar_w * len(series)) / 2
        out.append(
            f'<text x="{x + (g + 0.5) * group_w:.1f}" y="{y + 48 + plot_h}" '
            f'class="label" text-anchor="middle">{group}</text>'
        )
        for s, (_name, values) in enumerate(series):
            value = values[g]
            if value is None:
                continue
            h = max(1, plot_h * min(value, top) / top)
            bx, by = gx + s * bar_w, y + 30 + plot_h - h
            out.append(
                f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{value:,.0f} {unit}</title></rect>'
            )
            if value > top:  # a bar that stops at the cap: its value inside it, upright
                out.append(
                    f'<text transform="translate({bx + bar_w / 2 + 3:.1f},{by + 6:.1f}) '
                    f'rotate(-90)" class="value" fill="#fff" text-anchor="end">'
                    f"{value:,.0f}</text>"
                )
                continue
            out.append(
                f'<text x="{bx + bar_w / 2 - 1:.1f}" y="{by - 4:.1f}" class="value" '
                f'text-anchor="middle">{value:,.0f}</text>'
            )
    return out


def chart(records):
    clients = sorted({c for (*_, c, ceiling) in records if not ceiling})
    measured = [c for c in CONFIGURATIONS if any(key[:4] == c for key in records)]
    names = ["baseline: a bare websockets server", *(CONFIGURATIONS[c] for c in measured)]
    # Every run measured the baseline again: its bar is the median of those runs.
    p99 = [[None] * len(clients) for _ in names]
    bare_p99 = [[] for _ in clients]
    for (*configuration, c, ceiling), record in records.items():
        if not ceiling and tuple(configuration) in measured:
            i = measured.index(tuple(configuration)) + 1
            app_p99 = record["app"][0]["p99_ms"]
            p99[i][clients.index(c)] = None if math.isnan(app_p99) else app_p99
            bare_p99[clients.index(c)].append(record["baseline"][0]["p99_ms"])
    p99[0] = [statistics.median(values) if values else None for values in bare_p99]
    ceilings, bare_ceilings = [None] * len(names), []
    for (*configuration, _c, ceiling), record in records.items():
        if ceiling and tuple(configuration) in measured:
            app, bare = best_clean(record["app"]), best_clean(record["baseline"])
            ceilings[measured.index(tuple(configuration)) + 1] = app and app["deliveries_per_s"]
            if bare:
                bare_ceilings.append(bare["deliveries_per_s"])
    ceilings[0] = statistics.median(bare_ceilings) if bare_ceilings else None
    width, height = 940, 360  # two charts, one above the other, then the legend
    full_height = 2 * height + 30 + 26 * ((len(names) + 1) // 2)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {full_height}"'
        ' font-family="sans-serif" role="img">',
        "<style>.title{font-size:15px;font-weight:bold}.label{font-size:13px}"
        ".value{font-size:10px}.axis{stroke:#888}</style>",
    ]
    out += bars(
        10, 0, 920, height, f"p99 latency at {rate(records)} messages/s, ms "
        "(a bar stops at 1,000 ms, where a round stops being clean)", "ms",
        [f"{c} clients" for c in clients], list(zip(names, p99, strict=True)), cap=1000,
    )  # fmt: skip
    ceiling_groups = [
        f"{c} clients" for c in sorted({c for (*_, c, ceiling) in records if ceiling})
    ]
    out += bars(
        10, height + 20, 920, height, "Clean ceiling, deliveries/s", "deliveries/s",
        ceiling_groups, [(n, [v]) for n, v in zip(names, ceilings, strict=True)],
    )  # fmt: skip
    for i, name in enumerate(names):  # the legend, in two columns
        x, y = 10 + 470 * (i % 2), 2 * height + 30 + 26 * (i // 2)
        out.append(f'<rect x="{x}" y="{y}" width="16" height="16" fill="{COLOURS[i]}"/>')
        out.append(f'<text x="{x + 24}" y="{y + 13}" class="label">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def rate(records):
    """The room-wide rate of the runs that are not ceilings (all the same)."""
    rates = {r["app"][0]["rate"] for (*_, ceiling), r in records.items() if not ceiling}
    return "/".join(f"{r:g}" for r in sorted(rates))


def render(folder):
    """{file name: its text} for the recorded results in `folder`."""
    records = load(folder / "results.jsonl")
    tables = (
        machine_line(records)
        + f"\n**{rate(records)} messages a second, room-wide**\n\n"
        + steady_table(records)
        + "\n**The clean ceiling**\n\n"
        + ceiling_table(records)
    )
    return {
        "table.md": tables,
        "chart.svg": chart(records),
        "thousand.md": repeated_table(folder / "thousand.jsonl"),
    }


def main():
    for name, text in render(OUT).items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / name}", file=sys.stderr)


if __name__ == "__main__":
    main()
