"""The ``govaudit`` command.

Exit codes: 0 ran, read every file and found no error-severity finding; 1 ran, read every file and found
some; 2 could not run (bad arguments, an unusable database or input file) or, for ``check``, at least one
file could not be read (each named on stderr with its reason; the findings of the others are still written).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from .errors import GovauditError, ReadError, shown_path

EXIT_OK, EXIT_FINDINGS, EXIT_FAILED = 0, 1, 2
DASK_MESSAGE_LOG = 20           # message batches the Dask client keeps for debugging (see _dask_client)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"govaudit: 参数错误：{message}", file=sys.stderr)
        sys.exit(EXIT_FAILED)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="govaudit", description="政府信息公开工作年度报告审核工具")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("extract", help="解析一份报告，输出表二/表三/表四与各部分文字")
    e.add_argument("file")
    e.add_argument("--format", choices=("json", "table"), default="json")

    c = sub.add_parser("check", help="按规则审核报告，输出问题清单")
    c.add_argument("paths", nargs="+", metavar="PATH")
    c.add_argument("--previous", metavar="DIR", help="上一年度报告所在目录（跨年度核对）")
    c.add_argument("--format", choices=("table", "json", "csv", "xlsx"), default="table")
    c.add_argument("--out", metavar="FILE")
    c.add_argument("--severity", choices=("error", "warning", "info"), default="info",
                   help="只输出不低于该级别的问题")
    c.add_argument("--no-progress", action="store_true")
    c.add_argument("--cache", metavar="DIR", help="解析结果缓存目录（默认 ~/.cache/govaudit；未改动的文件不再解析）")
    c.add_argument("--no-cache", action="store_true", help="不使用缓存")
    c.add_argument("--scheduler", metavar="ADDRESS", help="在 Dask 集群上解析（如 tcp://10.0.0.5:8786）")
    c.add_argument("--deadline", action="append", default=[], metavar="TYPE=MM-DD",
                   help="公布期限：department（部门）、government（本级政府）、township（乡镇街道），可重复；"
                        "默认部门1月31日、政府3月31日、乡镇街道不检查")
    c.add_argument("--settings", metavar="FILE.json", help="规则设置（如按地区的公布期限 deadline_by_region）")
    c.add_argument("--db", metavar="URL", help="把本次检查结果记入审核数据库（默认不记录）")
    c.add_argument("--user", help="审核人（默认取 JUPYTERHUB_USER / GOVAUDIT_USER / 系统用户）")

    v = sub.add_parser("reviews", help="审核记录的备份与交接")
    vsub = v.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ve = vsub.add_parser("export", help="导出审核记录、人工添加的问题和全部修改历史")
    ve.add_argument("--db", metavar="URL")
    ve.add_argument("--format", choices=("json", "csv"), default="json",
                    help="json 可无损导入；csv 便于用 Excel 查看")
    ve.add_argument("--out", metavar="FILE")
    vi = vsub.add_parser("import", help="导入另一数据库导出的审核记录（可重复导入）")
    vi.add_argument("file")
    vi.add_argument("--db", metavar="URL")
    vi.add_argument("--user")

    r = sub.add_parser("report", help="根据审核数据库中已确认的问题起草通报（Word）")
    r.add_argument("--db", metavar="URL")
    r.add_argument("--out", metavar="FILE.docx", required=True)
    r.add_argument("--title", help="通报标题（默认按报告年度生成）")
    r.add_argument("--issuer", default="", help="落款单位")

    sub.add_parser("rules", help="列出全部审核规则")

    a = sub.add_parser("app", help="启动 Voila 审核工作台")
    a.add_argument("data_dir", nargs="?", default="data/samples")
    a.add_argument("--db", metavar="URL")
    a.add_argument("--port", type=int, default=8866)
    a.add_argument("--dashboard", action="store_true", help="打开只读的汇总看板")
    a.add_argument("--no-preheat", action="store_true", help="不预热内核（预热使页面打开更快）")
    a.add_argument("--ip", default="127.0.0.1", help="监听地址；非 127.0.0.1（如 0.0.0.0 供团队使用）时必须登录")
    a.add_argument("--token", help="登录令牌（也可用环境变量 GOVAUDIT_TOKEN）；非本机地址且未设口令时自动生成")
    a.add_argument("--password", action="store_true", help="以口令登录（启动时输入，或环境变量 GOVAUDIT_PASSWORD）")
    a.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="允许的访问主机名（防 DNS 重绑定；IP 地址与 localhost 总是允许），可重复")
    a.add_argument("--max-kernels", type=int, default=10, metavar="N", help="同时使用的页面（内核）上限，超出显示“服务繁忙”")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"extract": _extract, "check": _check, "rules": _rules, "app": _app,
                "reviews": _reviews, "report": _report}[args.command](args)
    except ReadError as e:
        print(f"govaudit: {e}", file=sys.stderr)
        return EXIT_FAILED
    except GovauditError as e:
        print(f"govaudit: {e}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED


def _extract(args) -> int:
    from .reading import load

    report = load(args.file)
    if args.format == "json":
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 100):
        m = report.meta
        print(f"{m.get('title') or m['source']}\n机关：{m.get('agency') or '未识别'}  年度：{m.get('year') or '未识别'}"
              f"  模板：{m['template']}（{m['template_detected_by']}）")
        for key, name in (("active", "表二 主动公开政府信息情况"), ("requests", "表三 收到和处理政府信息公开申请情况"),
                          ("appeals", "表四 行政复议、行政诉讼情况")):
            print(f"\n{name}\n{report.table(key).to_string()}")
        if report.warnings:
            print("\n未能读取：")
            for w in report.warnings:
                print(f"  - {w['message']}")
    return EXIT_OK


def _check(args) -> int:
    from .outofcore import check_run
    from .outputs import write_findings_frames

    settings = _settings(args)
    if args.db:                         # a malformed URL is said now, not after reading every file
        from .store import check_url
        check_url(args.db)
    from .cache import default_dir
    client = _dask_client(args.scheduler) if args.scheduler else None
    cache_dir = None if args.no_cache else (args.cache or default_dir())
    from .folder import file_records, listing
    listed = listing(args.paths) if args.db else {}     # stamps before reading: a file changed meanwhile is seen
    errors_found = False

    def shown(frames):
        nonlocal errors_found
        for df in frames:
            errors_found |= bool((df["severity"] == "error").any())
            yield df[df["severity"].map(_rank) >= _rank(args.severity)]

    try:
        with check_run(args.paths, previous=args.previous, settings=settings, progress=not args.no_progress,
                       client=client, cache_dir=cache_dir) as run:
            if args.db:
                from . import store
                with store.open(args.db, user=args.user) as db:
                    db.record_run(run.findings(), run.summaries(), files=file_records(listed, run))
            for e in run.errors:
                print(f"govaudit: {e['message']}", file=sys.stderr)
            write_findings_frames(shown(run.findings()), args.format, args.out)
            errors, reports = run.errors, len(run)
    finally:
        if client is not None:
            client.close()
    if errors:               # a file not read is a file not checked: never a silent "no findings"
        print(f"govaudit: {len(errors)} 个文件无法读取（见上），其余 {reports} 份报告已审核", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FINDINGS if errors_found else EXIT_OK


def _dask_client(address: str):
    try:
        import dask
        from dask.distributed import Client
    except ImportError:
        raise GovauditError("使用 --scheduler 需要安装 dask：pip install 'govaudit[dask]'") from None
    # The client's link to the scheduler keeps its last N message batches for debugging (default 1,000, each
    # a block's task graph or key releases): ~40 MiB of the driver at 100,000 reports. A few are enough.
    dask.config.set({"distributed.admin.low-level-log-length": DASK_MESSAGE_LOG})
    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError) as e:
        raise GovauditError(f"无法连接 Dask 集群 {address}：{e}") from e


def _settings(args) -> dict:
    settings: dict = {}
    if args.settings:
        path = Path(args.settings)
        try:
            settings = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as e:
            raise GovauditError(f"无法读取设置文件 {shown_path(path)}：{e}") from e
    for item in args.deadline:
        kind, _, when = item.partition("=")
        try:
            month, day = (int(x) for x in when.split("-"))
            date(2000, month, day)
        except ValueError:
            raise GovauditError(f"--deadline 格式应为 类型=月-日，如 department=01-31，收到“{item}”") from None
        if kind not in ("department", "government", "township"):
            raise GovauditError(f"--deadline 的类型只能是 department、government、township，收到“{kind}”")
        settings.setdefault("deadline", {})[kind] = (month, day)
    return settings


def _rank(severity: str) -> int:
    return {"info": 0, "warning": 1, "error": 2}.get(severity, 0)


def _reviews(args) -> int:
    from . import store

    if args.action == "export":
        with store.open(args.db, readonly=True) as db:
            text = db.export(args.format)
        if args.out:
            try:
                Path(args.out).write_text(text, encoding="utf-8-sig" if args.format == "csv" else "utf-8")
            except OSError as e:
                raise GovauditError(f"无法写入 {shown_path(args.out)}：{e.strerror or e}") from e
        else:
            sys.stdout.write(text)
        return EXIT_OK
    from .readers._common import os_reason, path_problem

    path = Path(args.file)
    problem = path_problem(path)
    if problem:
        raise ReadError(path, problem)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise ReadError(path, os_reason(e)) from e
    except UnicodeDecodeError as e:
        raise ReadError(path, f"不是 UTF-8 文本（文件第 {e.start + 1} 个字节），不是 govaudit 审核记录导出文件；"
                              "数据库未作任何改动") from e
    with store.open(args.db, user=args.user) as db:
        try:
            counts = db.import_(text)
        except store.ImportRefused as e:
            raise ReadError(path, f"{e}；数据库未作任何改动") from e
    print(f"导入完成：审核记录 {counts['reviews']} 条，人工问题 {counts['flags']} 条，历史 {counts['history']} 条")
    return EXIT_OK


def _report(args) -> int:
    from . import store
    from .bulletin import draft

    if not args.out.lower().endswith(".docx"):
        raise GovauditError(f"通报只能保存为 .docx 文件：{args.out}")
    with store.open(args.db, readonly=True) as db:
        numbers = draft(db, args.out, title=args.title, issuer=args.issuer)
    print(f"已生成通报 {args.out}：{numbers['reports']} 份报告，确认问题 {numbers['confirmed']} 条，"
          f"涉及 {numbers['confirmed_units']} 家单位")
    return EXIT_OK


def _rules(args) -> int:
    from .rules import registry

    for r in registry.all_rules():
        print(f"{r.id:<20} {r.severity:<8} {r.category:<20} {r.title}")
    return EXIT_OK


def _app(args) -> int:
    from .ui.serve import serve

    data_dir = Path(args.data_dir)
    if not data_dir.is_dir():
        raise ReadError(data_dir, "目录不存在")
    if args.db:                         # said here, not later by a page's kernel
        from .store import check_url
        check_url(args.db)
    serve(data_dir, db=args.db, port=args.port, dashboard=args.dashboard, preheat=not args.no_preheat,
          ip=args.ip, token=args.token, password=args.password, allow_hosts=args.allow_host,
          max_kernels=args.max_kernels)
    return EXIT_OK             # not reached: serve() becomes Voila


if __name__ == "__main__":
    sys.exit(main())
