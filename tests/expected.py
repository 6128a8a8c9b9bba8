"""Hand-read values of the sample and shared reports, and a helper that checks every cell.

Each table is given as the cells that are *not* 0 (every report prints every cell); NA marks
a cell that is blank in the source or that cannot be read without guessing.
"""
from __future__ import annotations

from govaudit import template as T

NA = "NA"


def expected_requests(nonzero: dict[str, list], single_other=False) -> dict[str, list]:
    rows = T.requests_table("2021", single_other=single_other).rows
    return {r.key: list(nonzero.get(r.key, [0] * 7)) for r in rows}


def expected_appeals(values15: list) -> dict[str, list]:
    return {"review": values15[0:5], "suit_direct": values15[5:10], "suit_after_review": values15[10:15]}


def active_2021(regulations=(0, 0, 0), normative=(0, 0, 0), licensing=0, punishment=0, coercion=0, fees=0):
    return {"regulations": list(regulations), "normative_documents": list(normative), "licensing": [licensing],
            "punishment": [punishment], "coercion": [coercion], "admin_fees": [fees]}


def assert_table(report, table: str, expected: dict[str, list]) -> int:
    """Every expected cell equals the parsed one; returns the number of cells checked."""
    n = 0
    for row, values in expected.items():
        columns = (T.active_table(report.template).columns_of(row) if table == "active"
                   else [c for c in report.table(table).columns])
        assert len(columns) == len(values), (table, row)
        for column, want in zip(columns, values):
            got = report.value(table, row, column)
            if want == NA:
                assert got is None, f"{table}.{row}.{column}: expected NA, got {got!r}"
            else:
                assert got == want and type(got) is type(want), f"{table}.{row}.{column}: expected {want!r}, got {got!r}"
            n += 1
    assert set(report.table(table).index) == set(expected), f"{table} rows {sorted(report.table(table).index)}"
    return n


Z = [0] * 7
ZERO15 = [0] * 15


def t(natural, total, commercial=0):
    return [natural, commercial, 0, 0, 0, 0, total]


SAMPLES = {
    "lushan-qintai-street-2024.txt": dict(
        agency="鲁山县琴台街道办事处", year=2024,
        active=active_2021(normative=(1, 0, 1)), requests=expected_requests({}), appeals=expected_appeals(ZERO15)),
    "weidong-guanghualu-street-2024.txt": dict(
        agency="卫东区光华路街道办事处", year=2024,
        active=active_2021(), requests=expected_requests({}), appeals=expected_appeals(ZERO15)),
    "qufu-shizhuang-street-2024.txt": dict(
        agency="曲阜市时庄街道办事处", year=2024, active=active_2021(),
        requests=expected_requests({"new_received": t(9, 9), "granted": t(1, 1), "partly_granted": t(1, 1),
                                    "denied_third_party": t(1, 1), "unable_not_held": t(6, 6),
                                    "total_processed": t(9, 9)}),
        appeals=expected_appeals([1, 1, 0, 0, 2] + [0] * 10)),
    "lushan-kuqu-township-2024.txt": dict(
        agency="鲁山县库区乡", year=2024,
        active=active_2021(), requests=expected_requests({}), appeals=expected_appeals(ZERO15)),
    "jiyuan-tiantan-street-2024.txt": dict(
        agency="天坛街道办事处", year=2024, active=active_2021(punishment=43),
        requests=expected_requests({"new_received": t(4, 4), "carried_over": t(1, 1), "granted": t(1, 1),
                                    "partly_granted": t(1, 1), "unable_not_held": t(1, 1),
                                    "other_no_correction": t(2, 2), "total_processed": t(5, 5)}),
        # the 表四 data row prints 16 numbers under 15 columns: nothing may be guessed
        appeals=expected_appeals([NA] * 15)),
}

REAL = {
    "shanghai-stcsm-2024.md": dict(
        agency="上海市科委", year=2024, template="2021",
        active=active_2021(normative=(13, 0, 55), licensing=97),
        requests=expected_requests({
            "new_received": t(32, 34, commercial=2), "carried_over": t(2, 2), "granted": t(9, 9),
            "denied_internal_affairs": t(1, 1), "denied_process_info": t(1, 1), "unable_not_held": t(4, 4),
            "unable_needs_creation": t(6, 6), "other_no_correction": t(8, 10, commercial=2),
            "other_other": t(4, 4), "total_processed": t(33, 35, commercial=2),
            "carried_forward": [1, 0, 0, 0, 0, 0, NA]}),
        appeals=expected_appeals([1, 0, 0, 0, 1] + [0] * 10)),
    "pingtan-czj-2019.txt": dict(
        agency="平潭综合实验区财政金融局", year=2019, template="2019",
        active={"regulations": [0, 0, 0], "normative_documents": [NA, NA, NA],   # "1077": 1|0|77 or 10|7|7
                "licensing": [3, 0, 0], "other_services": [0, 0, 0],
                "punishment": [NA, NA, NA],                                       # "3500": 35|0|0 or 3|50|0
                "coercion": [0, 0, 0], "admin_fees": [0, 0], "procurement": [NA, NA]},  # "2832995元"
        requests=expected_requests({}, single_other=True), appeals=expected_appeals(ZERO15)),
    "pingtan-czj-2020.txt": dict(
        agency="平潭综合实验区财政金融局", year=2020, template="2019",
        active={"regulations": [0, 0, 0], "normative_documents": [6, 4, 11], "licensing": [0, 1, 0],
                "other_services": [0, 0, 0], "punishment": [0, 0, 0], "coercion": [0, 0, 0],
                "admin_fees": [0, 0], "procurement": [2, 984361]},
        requests=expected_requests({}, single_other=True), appeals=expected_appeals(ZERO15)),
    "pingtan-czj-2021.txt": dict(
        agency="平潭综合实验区财政金融局", year=2021, template="2021",
        active=active_2021(normative=(3, 0, 3), fees=7816),
        requests=expected_requests({}), appeals=expected_appeals(ZERO15)),
    # read from the rendered pages (pdftoppm): 表三 breaks after (四)2, whose bottom rule is missing;
    # 表四 really prints 行政复议 10/1/0/0 总计 0 and 复议后起诉 5/0/0/0 总计 0
    "hongze-district-2023.pdf": dict(
        agency="洪泽区人民政府", year=2023, template="2021",
        active=active_2021(normative=(0, 5, 5), licensing=550, punishment=4119, coercion=195, fees=7730.28),
        requests=expected_requests({
            "new_received": t(21, 21), "partly_granted": t(4, 4), "denied_state_secret": t(1, 1),
            "denied_process_info": t(1, 1), "denied_enforcement_file": t(1, 1), "unable_not_held": t(10, 10),
            "unable_needs_creation": t(3, 3), "declined_petition": t(1, 1), "total_processed": t(21, 21)},
            single_other=True),
        appeals=expected_appeals([10, 1, 0, 0, 0] + [0] * 5 + [5, 0, 0, 0, 0])),
}
