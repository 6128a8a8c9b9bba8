"""A benchmark corpus: N reports derived from the samples, deterministic by seed.

Each unit gets two consecutive years (so cross-year rules have pairs), numbers that
balance, narrative assembled from the samples' own sentences, one of three layouts
(tab-separated text, HTML, Markdown pipe tables), and with some probability one
injected defect (a broken total, a wrong 表四 total, a text count that differs from
表三, a carry-over that does not match last year, a section copied from another unit).

    python benchmarks/make_corpus.py OUT_DIR N [--seed 7] [--layouts txt,html,md]
"""
from __future__ import annotations

import argparse
import html
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import govaudit  # noqa: E402
from govaudit import template as T  # noqa: E402

DEFECTS = ("broken-total", "appeal-total", "text-count", "carry-mismatch", "copied-section")
COUNTIES = ("东城", "西湖", "南山", "北林", "清河", "安平", "永和", "长乐", "富阳", "临江")
_FOCUS = ("政策解读", "平台建设", "依申请公开办理", "基层政务公开标准化", "政务新媒体管理", "信息发布审核",
          "重点领域信息公开", "业务培训", "公开目录更新", "互动回应")
LAYOUTS = ("txt", "html", "md")
UNITS = ("街道办事处", "镇人民政府", "乡人民政府", "局", "委员会")


def _sentence_pool() -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {"overview": [], "problems": [], "other": []}
    for f in sorted((ROOT / "tests" / "fixtures" / "seeds").glob("*.txt")):
        r = govaudit.load(f)
        for key in pool:
            for s in re.split(r"(?<=[。；])", r.sections.get(key, "")):
                s = re.sub(r"\d+", "", s.strip())        # no numbers: they would contradict the tables
                # no sentence about requests or appeals: it would speak for another unit's tables
                if 12 <= len(s) <= 160 and not re.search(r"我(县|市|区|局)|20\d\d|申请|复议|诉讼", s):
                    pool[key].append(s.replace(r.agency, "本单位"))
    return pool


def _requests(rng: random.Random, carried: list[int]) -> dict[str, list[int]]:
    rows = {r.key: [0] * 7 for r in T.requests_table("2021").rows}
    new = [rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 21]) if c == 0 else rng.choice([0, 0, 0, 1]) for c in range(6)]
    carry_out = [min(n + c, rng.choice([0, 0, 0, 1])) for n, c in zip(new, carried)]
    rows["new_received"][:6], rows["carried_over"][:6], rows["carried_forward"][:6] = new, carried, carry_out
    results = [k for k in rows if k not in ("new_received", "carried_over", "carried_forward", "total_processed")]
    for col in range(6):
        for _ in range(new[col] + carried[col] - carry_out[col]):
            rows[rng.choice(results[:4] * 4 + results)][col] += 1
        rows["total_processed"][col] = sum(rows[k][col] for k in results)
    for values in rows.values():
        values[6] = sum(values[:6])
    return rows


def _appeals(rng: random.Random) -> dict[str, list[int]]:
    out = {}
    for key in ("review", "suit_direct", "suit_after_review"):
        parts = [rng.choice([0, 0, 0, 1, 2]) for _ in range(4)]
        out[key] = parts + [sum(parts)]
    return out


def _report(rng, pool, agency, year, carried, in_force, defect, copied_from=None):
    reqs, apps = _requests(rng, carried), _appeals(rng)
    issued = rng.randint(0, 6)
    active = {"regulations": [0, 0, 0], "normative_documents": [issued, 0, in_force + issued],
              "licensing": [rng.randint(0, 400)], "punishment": [rng.randint(0, 900)], "coercion": [rng.randint(0, 30)],
              "admin_fees": [round(rng.uniform(0, 900), 2)]}
    if defect == "broken-total":
        reqs["total_processed"][6] += 1
    if defect == "appeal-total":
        apps["review"][4] += 2
    said = reqs["new_received"][6] + (3 if defect == "text-count" else 0)
    overview = rng.sample(pool["overview"], min(6, len(pool["overview"])))
    overview.insert(1, f"全年共收到政府信息公开申请{said}件。")
    sections = {"overview": "".join(overview),
                "problems": copied_from or (f"{agency}在{rng.choice(COUNTIES)}片区试点中发现，" + "".join(
                    rng.sample(pool["problems"], min(4, len(pool["problems"]))))
                    + f"下一步，将围绕{rng.choice(_FOCUS)}和{rng.choice(_FOCUS)}改进工作。"),
                "other": "".join(rng.sample(pool["other"], min(2, len(pool["other"])))) or "无其他需要报告的事项。"}
    return {"title": f"{agency}{year}年政府信息公开工作年度报告", "year": year, "active": active,
            "requests": reqs, "appeals": apps, "sections": sections}


def _table_rows(rep):
    yield ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    for key in ("regulations", "normative_documents", "licensing", "punishment", "coercion", "admin_fees"):
        yield [T.row_label("active", key), *map(str, rep["active"][key])]


def _write(rep, path: Path, layout: str) -> None:
    lines = [rep["title"], "",
             f"本报告数据统计期限为{rep['year']}年1月1日至{rep['year']}年12月31日。"]
    blocks = []   # (heading, text or rows)
    for s in T.SECTIONS:
        if s.key == "active":
            rows = list(_table_rows(rep))
        elif s.key == "requests":
            rows = [["申请人情况", *[c.label for c in T.REQUEST_COLUMNS]]] + \
                   [[T.row_label("requests", k), *map(str, v)] for k, v in rep["requests"].items()]
        elif s.key == "appeals":
            rows = [["", *[c.label for c in T.APPEAL_COLUMNS]]] + \
                   [[T.row_label("appeals", k), *map(str, v)] for k, v in rep["appeals"].items()]
        else:
            rows = None
        blocks.append((f"{s.number}、{s.title}", rows if rows else rep["sections"].get(s.key, "")))
    if layout == "html":
        body = [f"<h1>{html.escape(rep['title'])}</h1>", f"<p>{html.escape(lines[2])}</p>"]
        for heading, content in blocks:
            body.append(f"<h2>{html.escape(heading)}</h2>")
            if isinstance(content, list):
                body.append("<table>" + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                                                for row in content) + "</table>")
            else:
                body.append(f"<p>{html.escape(content)}</p>")
        path.with_suffix(".html").write_text("<html><meta charset='utf-8'><body>" + "".join(body) + "</body></html>",
                                             encoding="utf-8")
        return
    for heading, content in blocks:
        lines.append(heading)
        if isinstance(content, list):
            for row in content:
                lines.append("| " + " | ".join(row) + " |" if layout == "md" else "\t".join(row))
        else:
            lines.append(content)
    path.with_suffix(".md" if layout == "md" else ".txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_corpus(out: Path, n: int, seed: int = 7, defect_rate: float = 0.3,
                layouts: tuple[str, ...] = LAYOUTS) -> dict[str, str]:
    """Write n reports into out; returns {file stem: injected defect or ""}."""
    rng = random.Random(seed)
    pool = _sentence_pool()
    out.mkdir(parents=True, exist_ok=True)
    truth: dict[str, str] = {}
    problems_text: dict[int, list[tuple[str, str]]] = {}    # year -> (agency, text): copies are same-year
    for i in range(0, n, 2):
        agency = f"{rng.choice(COUNTIES)}县第{i // 2 + 1}{rng.choice(UNITS)}"
        layout = layouts[i // 2 % len(layouts)]
        carried, in_force = [0] * 6, rng.randint(0, 30)
        for year in (2023, 2024)[: min(2, n - i)]:
            defect = rng.choice(DEFECTS) if rng.random() < defect_rate else ""
            copied = None
            if defect == "copied-section":     # listed only when needed: the list grows with the corpus
                others = [t for a, t in problems_text.get(year, []) if a != agency]
                copied = rng.choice(others) if others else None
            if (defect == "copied-section" and copied is None) or (defect == "carry-mismatch" and year == 2023):
                defect = ""
            if defect == "carry-mismatch":
                carried[0] += 1          # 上年结转 no longer equals last year's 结转下年度
            rep = _report(rng, pool, agency, year, carried, in_force, defect, copied)
            carried = list(rep["requests"]["carried_forward"][:6])
            in_force = rep["active"]["normative_documents"][2]
            problems_text.setdefault(year, []).append((agency, rep["sections"]["problems"]))
            stem = f"{i // 2:05d}-{year}"
            _write(rep, out / stem, layout)
            truth[stem] = defect
    return truth


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--layouts", default=",".join(LAYOUTS), help="comma-separated subset of " + ",".join(LAYOUTS))
    args = ap.parse_args()
    truth = make_corpus(args.out, args.n, args.seed, layouts=tuple(args.layouts.split(",")))
    print(f"{len(truth)} reports in {args.out}; defects: "
          + ", ".join(f"{d} {sum(v == d for v in truth.values())}" for d in DEFECTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
