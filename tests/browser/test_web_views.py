"""The web page without a browser: its figures from small hand-made result tables, and its routes
(language, the key on the data helpers, assets served locally). Runs where Chromium is missing too."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.core.config import Settings
from api.main import create_app
from api.web.views import hospital_flows, key_figures
from presentation.i18n import Locale

NBSP = "\u00a0"
KEY = "web-view-test-key-0123456789"


def _plan(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """Whole-patient plan rows: (home region, listed hospital, treating hospital, patients)."""
    return pd.DataFrame(rows, columns=["region_id", "listed_hospital_id", "hospital_id", "patients"]).assign(
        procedure_id="knee", week="2025-W14"
    )


def test_flows_are_summed_over_weeks_and_leave_out_the_listed_hospital_and_fractions():
    plan = _plan(
        [
            ("r1", "h1", "h2", 3.0),  # week 1
            ("r1", "h1", "h2", 2.0),  # week 2: h1 → h2 = 3 + 2 = 5
            ("r1", "h1", "h1", 10.0),  # treated where listed: no flow
            ("r2", "h2", "h1", 0.4),  # under half a patient: no flow people could act on
            ("r3", "h3", "h2", 1.6),
        ]
    )
    flows = hospital_flows(plan)
    assert flows[["listed_hospital_id", "hospital_id"]].values.tolist() == [["h1", "h2"], ["h3", "h2"]]
    assert flows["patients"].tolist() == pytest.approx([5.0, 1.6])


def test_key_figures_count_whole_patients_days_and_money_apart():
    tables = {
        "integer_region_kpis.csv": pd.DataFrame(
            {
                "region_id": ["r1", "r2", "r1", "r2"],
                "t": [1, 1, 2, 2],
                "week": ["2025-W14", "2025-W14", "2025-W15", "2025-W15"],
                "waiting": [9, 6, 7, 5],  # the end (t = 2): 7 + 5 = 12 waiting
                "over_90": [4, 2, 2, 1],  # 2 + 1 = 3 over 90 days: 3 / 12 = 25.0 %
            }
        ),
        # treated 10.5 + 2 = 12.5 → 13 whole patients (half up); the 2 of r1 at h2 (region r2) are elsewhere
        "integer_plan.csv": _plan([("r1", "h1", "h1", 10.5), ("r1", "h1", "h2", 2.0)]),
        "hospitals.csv": pd.DataFrame({"hospital_id": ["h1", "h2"], "region_id": ["r1", "r2"]}),
        # theatre days used 3.25 + 1 = 4.25 → 4; available (5 + 0) + (2 + 1 extra) = 8
        "theatre_use.csv": pd.DataFrame(
            {"theatre_days": [5.0, 2.0], "extra_days_used": [0.0, 1.0], "used_days": [3.25, 1.0]}
        ),
        "bed_use.csv": pd.DataFrame({"used_bed_days": [4.5, 5.1]}),  # 9.6 → 10
        # new money 60 000 SEK → 0.1 MSEK; internal price-list payments 1.2 MSEK, said apart
        "region_totals.csv": pd.DataFrame(
            {"extra_capacity_sek": [60_000.0, 0.0], "treatment_cost_sek": [1_000_000.0, 200_000.0]}
        ),
    }
    start = {"waiting": 20, "share_over_90": 0.5}
    figures = key_figures(tables, start, Locale.for_lang("sv"))
    values = [f["value"] for f in figures]
    assert values == ["12", "3", "13", "4", "10", f"0,1{NBSP}MSEK"]
    assert figures[0]["note"] == "vid slutet; 20 vid början"
    assert figures[1]["note"] == f"25,0{NBSP}% vid slutet; 50,0{NBSP}% vid början"
    assert figures[2]["note"] == "varav 2 i annan region"
    assert figures[3]["note"] == "av 8 tillgängliga"
    assert figures[5]["note"] == f"betalningar mellan regionerna är interna: 1,2{NBSP}MSEK"
    english = key_figures(tables, start, Locale.for_lang("en"))
    assert english[1]["label"] == "Waited over 90 days" and english[1]["note"].startswith("25.0%")


@pytest.fixture
def client(tmp_path, monkeypatch):
    for name in ("CAPPLAN_LANG", "CAPPLAN_API_KEYS", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'capplan.db'}",
        api_keys=KEY,
        run_reports=False,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_pages_are_swedish_by_default_and_follow_the_browser_and_the_switch(client):
    swedish = client.get("/")
    assert swedish.status_code == 200 and '<html lang="sv">' in swedish.text and "API-nyckel" in swedish.text
    english = client.get("/ui/scenario", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Scenario editor" in english.text
    switched = client.get("/ui/compare?lang=sv", headers={"Accept-Language": "en"})
    assert '<html lang="sv">' in switched.text and switched.cookies.get("capplan_lang") == "sv"
    assert '<html lang="sv">' in client.get("/ui/runs", headers={"Accept-Language": "en"}).text  # the cookie


def test_data_helpers_need_the_api_key_and_assets_are_local(client):
    assert client.get("/ui/data/datasets/nothing/choices").status_code == 401
    assert client.get("/ui/data/datasets/nothing/choices", headers={"X-API-Key": "wrong"}).status_code == 403
    assert client.get("/ui/data/runs/nothing/view", headers={"X-API-Key": KEY}).status_code == 404
    page = client.get("/ui/runs/abc")
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    plotly_js = client.get("/ui/vendor/plotly.min.js")
    assert plotly_js.status_code == 200 and len(plotly_js.content) > 1_000_000
    assert client.get("/ui/static/sweden.geojson").json()["features"][0]["properties"]["name"] == "Sverige"


def test_waiting_over_time_starts_from_the_list_as_it_is():
    import base64

    import numpy as np

    from api.web.labels import DatasetNames
    from api.web.views import waiting_figure

    kpis = pd.DataFrame(
        {
            "region_id": ["r1", "r2", "r1", "r2"],
            "t": [1, 1, 2, 2],
            "week": ["2025-W14", "2025-W14", "2025-W15", "2025-W15"],
            "waiting": [9, 6, 7, 5],
            "over_90": [4, 2, 2, 1],
        }
    )
    start = pd.DataFrame({"region_id": ["r1", "r2"], "waiting": [12, 8], "over_90": [6, 3]})
    names = DatasetNames(regions={"r1": "Region Ett", "r2": "Region Två"}, hospitals={}, procedures={}, specialties={})
    figure = waiting_figure(kpis, start, names, Locale.for_lang("sv"))

    def values(trace) -> list[float]:
        y = trace["y"]
        if isinstance(y, dict):  # plotly's typed-array form
            return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
        return list(y)

    total_waiting, total_over_90, r1_over_90 = figure["data"][:3]
    assert total_waiting["x"] == ["Nu", "v. 14 2025", "v. 15 2025"]
    assert values(total_waiting) == [12 + 8, 9 + 6, 7 + 5]
    assert values(total_over_90) == [6 + 3, 4 + 2, 2 + 1]
    assert r1_over_90["name"] == "Över 90 dagar: Region Ett" and values(r1_over_90) == [6, 4, 2]


def _comparison() -> pd.DataFrame:
    """A comparison as `POST /api/v1/compare` returns it: two plans, their difference, the note."""
    rows = []
    for metric, values in {
        # region: (base, plan): r1 gains 30 days beyond 90, r2 loses 40, r3 within half a day
        "breach_days_90": {"r1": (100.0, 130.0), "r2": (80.0, 40.0), "r3": (10.0, 10.4), "total": (190.0, 180.4)},
        "over_90_end": {"r1": (5.0, 3.0), "r2": (4.0, 4.0), "r3": (0.0, 1.0), "total": (9.0, 8.0)},
    }.items():
        for region, (base, plan) in values.items():
            row = {"metric": metric, "region_id": region, "base": base, "plan": plan}
            rows.append({**row, "plan − base": plan - base, "note": ""})
    return pd.DataFrame(rows)


def test_winners_and_losers_carry_a_sign_and_a_word_and_the_fairness_links_name_the_scenario():
    from api.web.labels import DatasetNames
    from api.web.outcomes import comparison_outcomes
    from models.scenario import parse_scenario

    names = DatasetNames(regions={"r1": "Ett", "r2": "Två", "r3": "Tre"}, hospitals={}, procedures={}, specialties={})
    definition = {"name": "x", "dataset": "d", "start_week": "2025-W14", "horizon_weeks": 4}
    fair = parse_scenario({**definition, "policy": {"fairness": [{"by": "region"}]}}, "scenario")
    compared = [
        {"label": "base", "scenario_id": "s1", "scenario": parse_scenario(definition, "scenario")},
        {"label": "plan", "scenario_id": "s2", "scenario": fair},
    ]
    view = comparison_outcomes(_comparison(), compared, names, Locale.for_lang("sv"))
    (table,) = view["against"]
    assert table["title"] == "plan jämfört med base"
    by_region = {row[0]["text"]: row for row in table["rows"]}
    assert list(by_region) == ["Ett", "Tre", "Två", "Totalt"]  # Swedish order, the total last
    # days change (column 3), its kind, patients change (column 7) and the verdict (last)
    ett, tva, tre, total = by_region["Ett"], by_region["Två"], by_region["Tre"], by_region["Totalt"]
    assert (ett[3]["text"], ett[3]["kind"], ett[-1]["text"]) == ("+30", "worse", "sämre")  # 130 − 100
    assert (tva[3]["text"], tva[3]["kind"], tva[-1]["text"]) == ("\u221240", "better", "bättre")  # 40 − 80
    assert (tre[3]["text"], tre[3]["kind"], tre[-1]["text"]) == ("±0", "unchanged", "oförändrat")  # +0.4 < ½
    assert (ett[7]["text"], ett[7]["kind"]) == ("\u22122", "better")  # over 90 at the end: 3 − 5
    assert (tre[7]["text"], tre[7]["kind"]) == ("+1", "worse")  # 1 − 0
    assert total[0]["total"] and (total[3]["text"], total[-1]["text"]) == ("\u221210", "bättre")  # 180.4 − 190
    base, plan = view["fairness"]
    assert not base["fairness_on"] and plan["fairness_on"] and plan["fairness_by"] == ["region"]
    assert base["links"]["region"] == "?from=s1&fairness=region"
    assert any("Rättvisa är på" in line for line in plan["settings"])
    assert not any("policy:" in line for line in base["settings"])  # the YAML hint gives way to the links


def test_simulation_bands_become_one_figure_per_region_choice_in_whole_patients():
    from api.web.labels import DatasetNames
    from api.web.simulation import simulation_view

    rows = []
    for level, key in (("total", "all"), ("region", "r2"), ("region", "r1")):
        for week in ("2025-W14", "2025-W15"):
            for metric in ("waiting", "over_90", "treated"):
                rows.append(
                    {"level": level, "key": key, "week": week, "metric": metric, "p10": 9.6, "p50": 12.4, "p90": 20.5}
                )
    bands = pd.DataFrame(rows).assign(mean=12.0, draws=3)
    names = DatasetNames(regions={"r1": "Örebro", "r2": "Dalarna"}, hospitals={}, procedures={}, specialties={})
    view = simulation_view(bands, names, Locale.for_lang("sv"))
    assert view["draws"] == 3
    assert [c["id"] for c in view["choices"]] == ["total", "r2", "r1"]  # Dalarna before Örebro
    assert "3 dragningar" in view["how_to_read"] and "P10" in view["how_to_read"]
    figure = view["figures"]["r1"]
    assert figure["layout"]["title"]["text"] == "Örebro: simulerade veckor i 3 dragningar"
    # per metric shown (waiting, over 90; not treated): the P90 edge, the P10 edge filled to it, the median
    assert len(figure["data"]) == 2 * 3
    p90, p10, p50 = figure["data"][:3]
    assert p10["fill"] == "tonexty" and p10["x"] == ["v. 14 2025", "v. 15 2025"]

    def values(trace) -> list[float]:
        import base64

        import numpy as np

        y = trace["y"]
        if isinstance(y, dict):
            return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]).tolist()
        return list(y)

    # whole patients, half up as everywhere people read patients: 20.5 → 21, 9.6 → 10, 12.4 → 12
    assert values(p90) == [21, 21] and values(p10) == [10, 10] and values(p50) == [12, 12]
