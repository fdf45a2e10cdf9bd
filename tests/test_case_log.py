"""The clinic case log, on SQLite and (where CI starts one) PostgreSQL: consent, ids, photos, visits over
time, corrections, deletion, schema versions, concurrent saves and the export for training."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
import threading
import uuid
import zipfile

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from inference.cases.database import CaseLogError, database_url, make_engine
from inference.cases.entries import UNSURE
from inference.cases.export import export_training_set, export_zip
from inference.cases.store import CaseLog
from inference.cases.trend import change_notes, trend_chart
from inference.settings import load_inference_settings
from inference.taxonomy import load_taxonomy

POSTGRES_ENV = "SOLEWEAR_TEST_POSTGRES_URL"
TAX = load_taxonomy()
DAY1, DAY2 = dt.date(2026, 10, 1), dt.date(2026, 11, 2)


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path):
    """Case-log settings on a fresh database: a SQLite file, or a new PostgreSQL database per test."""
    base = load_inference_settings().case_log
    if request.param == "sqlite":
        yield base.model_copy(update={"enabled": True, "database": str(tmp_path / "log" / "cases.sqlite")})
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"no PostgreSQL server: .ci/run starts one and sets {POSTGRES_ENV}")
    name = f"solewear_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + "/" + name
    yield base.model_copy(update={"enabled": True, "database": url, "photos": str(tmp_path / "photos")})
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _photo(seed: int, exif: bytes | None = None) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (300, 200, 3), dtype=np.uint8)).save(buffer, format="JPEG",
                                                                                **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def _result(label: str, severity: float, **zones: float) -> dict:
    """A reading as Prediction.to_dict() gives it, with chosen zone scores (0.2 where not named)."""
    return {"path": "upload", "label": label, "confidence": 0.8, "side": "left", "zones":
            {z: zones.get(z, 0.2) for z in TAX.zone_ids}, "severity": severity, "flags": [],
            "orientation": "toe_up", "box": [10.0, 20.0, 190.0, 290.0]}


def _shoe(side: str, seed: int, label: str = "neutral", severity: float = 0.3, clinician=None, **more) -> dict:
    zones = more.pop("zones", {})
    return {"side": side, "photo": _photo(seed), "result": _result(label, severity, **zones),
            "clinician_label": clinician, **more}


def _files(folder) -> list:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_visit_is_saved_only_with_consent_under_a_pseudonymous_id(settings):
    log = CaseLog.open(settings)
    visit = dict(visit_date=DAY1, shoes=[_shoe("left", 1)], model_version="abc123")
    with pytest.raises(CaseLogError, match="consent"):
        log.save_visit(case_id="RUN-0001", consent=False, **visit)
    for bad, why in [("runner@example.org", "e-mail"), ("+44 20 7946 0958", "phone"), ("0791 234 5678", "phone"),
                     ("Jane Smith", "never a name"), ("", "1-40"), ("x" * 41, "1-40")]:
        with pytest.raises(CaseLogError, match=why):
            log.save_visit(case_id=bad, consent=True, **visit)
    with pytest.raises(CaseLogError, match="unknown label"):
        log.save_visit(case_id="RUN-0001", consent=True, visit_date=DAY1, model_version="abc123",
                       shoes=[_shoe("left", 1, clinician="flat_feet")])
    with pytest.raises(CaseLogError, match="not a plausible date"):
        log.save_visit(case_id="RUN-0001", consent=True, visit_date=dt.date.today() + dt.timedelta(days=30),
                       shoes=[_shoe("left", 1)], model_version="abc123")
    with pytest.raises(CaseLogError, match="between 0"):
        log.save_visit(case_id="RUN-0001", consent=True, visit_date=DAY1, model_version="abc123",
                       shoes=[_shoe("left", 1, zone_corrections={"toe": 1.5})])
    assert log.counts() == {"cases": 0, "visits": 0, "shoe_readings": 0}
    assert _files(log.photos.root) == []                     # nothing refused left a photo behind

    log.save_visit(case_id="RUN-0001", consent=True, **visit)
    case = log.case("RUN-0001")
    assert [v.visit_date for v in case.visits] == [DAY1]
    assert case.visits[0].shoes[0].model_version == "abc123" and case.visits[0].consent_at is not None


def test_photos_are_kept_once_by_content_without_their_exif(settings, tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"                               # Make
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)               # GPSLatitude
    photo = _photo(7, exif.tobytes())
    log = CaseLog.open(settings)
    for date in (DAY1, DAY2):
        log.save_visit(case_id="RUN-0002", visit_date=date, consent=True, model_version="v1",
                       shoes=[{"side": "left", "photo": photo, "result": _result("neutral", 0.3)}])
    files = _files(log.photos.root)
    assert len(files) == 1                                    # the same photo twice is stored once
    stored = Image.open(files[0])
    assert not stored.getexif() and b"PhoneMaker" not in files[0].read_bytes()
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    if "://" not in settings.database:
        assert stat.S_IMODE(os.stat(settings.database).st_mode) == 0o600


def _two_visits(log: CaseLog, case_id: str = "RUN-0003") -> None:
    log.save_visit(case_id=case_id, visit_date=DAY1, consent=True, model_version="v1", notes="first visit",
                   shoes=[_shoe("left", 1, severity=0.20, mileage_km=150, zones={"heel_lateral": 0.25}),
                          _shoe("right", 2, severity=0.22, mileage_km=150)])
    log.save_visit(case_id=case_id, visit_date=DAY2, consent=True, model_version="v1",
                   shoes=[_shoe("left", 3, label="lateral_heel_strike", severity=0.35, mileage_km=420,
                                zones={"heel_lateral": 0.65, "toe": 0.22}),
                          _shoe("right", 4, severity=0.10, mileage_km=420)])


def test_visits_over_time_are_charted_and_what_changed_is_said_in_words(settings):
    log = CaseLog.open(settings)
    _two_visits(log)
    case = log.case("RUN-0003")
    assert [v.visit_date for v in case.visits] == [DAY1, DAY2] and case.visits[0].notes == "first visit"
    notes = change_notes(case, TAX, settings.faster_than_rest)
    left, right = (" ".join(notes[f"{side} shoe, {DAY1} to {DAY2}"]) for side in ("Left", "Right"))
    assert "Heel, outer side worn faster than the rest since the last visit (+0.40 against +0.06 on average)" in left
    assert "changed from neutral wear to lateral heel strike" in left.lower()
    assert "Reads less worn overall" in right and "faster" not in right       # its zones grew alike
    for x in ("date", "mileage"):
        chart = np.asarray(trend_chart(case, TAX, x))
        assert chart.shape[1] >= 700 and chart.std() > 10     # a drawn chart, not a blank canvas


def test_a_label_is_corrected_and_deleting_leaves_no_rows_and_no_photos(settings):
    log = CaseLog.open(settings)
    _two_visits(log, "RUN-0004")
    log.save_visit(case_id="RUN-0005", visit_date=DAY1, consent=True, model_version="v1", shoes=[_shoe("left", 9)])
    reading = log.case("RUN-0004").visits[0].shoe("left")
    log.correct(reading.pk, "over_pronation", {"heel_medial": 0.5})
    corrected = log.case("RUN-0004").visits[0].shoe("left")
    assert corrected.clinician_label == "over_pronation" and corrected.zones["heel_medial"] == 0.5
    with pytest.raises(CaseLogError, match="unknown label"):
        log.correct(reading.pk, "bunions")

    log.delete_visit(log.case("RUN-0004").visits[0].pk)
    assert [v.visit_date for v in log.case("RUN-0004").visits] == [DAY2]
    assert len(_files(log.photos.root)) == 3                  # two photos of the other visit, one of RUN-0005
    log.delete_case("RUN-0004")
    assert log.case("RUN-0004") is None
    assert log.counts() == {"cases": 1, "visits": 1, "shoe_readings": 1}
    log.delete_case("RUN-0005")
    assert log.counts() == {"cases": 0, "visits": 0, "shoe_readings": 0}
    assert _files(log.photos.root) == []


def test_cases_are_found_by_id_and_date(settings):
    log = CaseLog.open(settings)
    _two_visits(log, "RUN-0006")
    log.save_visit(case_id="CLINIC_B-17", visit_date=DAY1, consent=True, model_version="v1", shoes=[_shoe("left", 5)])
    assert [c.case_id for c in log.cases()] == ["RUN-0006", "CLINIC_B-17"]      # most recently seen first
    assert [c.case_id for c in log.cases("run-")] == ["RUN-0006"]
    assert [c.case_id for c in log.cases("_b")] == ["CLINIC_B-17"]              # '_' is a character, not a wildcard
    assert [c.case_id for c in log.cases(since=DAY2)] == ["RUN-0006"]
    assert log.cases("%") == []


def test_a_database_from_a_newer_schema_is_refused_and_left_untouched(settings):
    log = CaseLog.open(settings)
    log.save_visit(case_id="RUN-0007", visit_date=DAY1, consent=True, model_version="v1", shoes=[_shoe("left", 1)])
    with log.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(CaseLogError, match="newer solewear"):
        CaseLog.open(settings)
    with make_engine(database_url(settings.database)).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"
        assert conn.execute(text("SELECT count(*) FROM visits")).scalar() == 1


def test_the_migrations_build_exactly_the_tables_the_code_uses(settings):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from inference.cases.schema import Base

    log = CaseLog.open(settings)
    with log.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_two_sessions_saving_at_once_lose_nothing(settings):
    logs = [CaseLog.open(settings) for _ in range(2)]       # two app sessions, each with its own engine
    errors = []

    def save(k: int) -> None:
        try:
            for i in range(6):
                logs[k].save_visit(case_id="RUN-SHARED", visit_date=DAY1, consent=True, model_version="v1",
                                   shoes=[_shoe("left", 100 * k + i)])
                logs[k].save_visit(case_id=f"RUN-{k}-{i}", visit_date=DAY2, consent=True, model_version="v1",
                                   shoes=[_shoe("right", 1000 + 100 * k + i)])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(logs[0].case("RUN-SHARED").visits) == 12
    assert logs[0].counts() == {"cases": 13, "visits": 24, "shoe_readings": 24}
    assert len(_files(logs[0].photos.root)) == 24


def test_a_clinician_saves_a_consented_visit_in_the_app_and_follows_the_case(repo, tmp_path, monkeypatch):
    """Switch the log on, read the example pair, save it (consent, confirm), open the case, delete it."""
    from streamlit.testing.v1 import AppTest

    from inference.cases.database import DATABASE_ENV
    from inference.model_store import bundled_checkpoint

    if bundled_checkpoint() is None:
        pytest.skip("no bundled model: the clinician page reads photos with it")
    monkeypatch.setenv(DATABASE_ENV, str(tmp_path / "clinic.sqlite"))
    at = AppTest.from_file(str(repo / "app.py"), default_timeout=180).run()
    assert not at.toggle(key="case_log_on").value                       # off by default
    at.toggle(key="case_log_on").set_value(True).run()
    at.button(key="clinician_example").click().run()
    assert "Save to the case log" in [h.value for h in at.subheader]
    at.text_input(key="case_id").input("RUN-0042").run()
    at.selectbox(key="case_label_left").set_value("over_pronation").run()
    assert at.button(key="case_save").disabled                           # no consent, no save
    at.checkbox(key="case_consent").check().run()
    at.button(key="case_save").click().run()
    assert any("Save the visit" in w.value for w in at.warning)          # asks once more
    log = CaseLog.open(load_inference_settings().case_log.model_copy(
        update={"database": str(tmp_path / "clinic.sqlite")}))
    assert log.counts()["visits"] == 0
    at.button(key="case_save_yes").click().run()
    assert not at.exception and any("Saved under case RUN-0042" in s.value for s in at.success)
    case = log.case("RUN-0042")
    assert [s.side for s in case.visits[0].shoes] == ["left", "right"]
    assert case.visits[0].shoe("left").clinician_label == "over_pronation"
    assert "path" not in case.visits[0].shoe("left").result              # no upload file name kept

    at.radio(key="clinic_mode").set_value("Cases").run()
    assert [t.value["Case"][0] for t in at.table if "Case" in t.value.columns] == ["RUN-0042"]
    at.selectbox(key="case_open").set_value("RUN-0042").run()
    assert not at.exception and "Case RUN-0042" in [h.value for h in at.subheader]
    assert [b.label for b in at.get("download_button")] == ["Export labelled photos for training (ZIP)",
                                                           "Download the case report (PDF)"]
    assert any("Each shoe needs two visits" in i.value for i in at.info)
    at.button(key="case_del_case").click().run()
    assert log.counts()["cases"] == 1                                    # not before the confirmation
    at.button(key="case_del_case_yes").click().run()
    assert not at.exception and log.counts() == {"cases": 0, "visits": 0, "shoe_readings": 0}
    assert _files(log.photos.root) == []


def _labelled_cases(log: CaseLog) -> None:
    """Three cases: labels a class / 'unsure' / none, one with zone corrections and two visits."""
    _two_visits(log, "RUN-A")
    first, second = log.case("RUN-A").visits
    log.correct(first.shoe("left").pk, "over_pronation", {"heel_medial": 0.6})
    log.correct(second.shoe("left").pk, "lateral_heel_strike")
    log.correct(first.shoe("right").pk, UNSURE)
    log.save_visit(case_id="RUN-B", visit_date=DAY2, consent=True, model_version="v2",
                   shoes=[_shoe("left", 21, clinician="supination", mileage_km=80), _shoe("right", 22, clinician="neutral")])


def test_the_export_is_a_training_set_of_labelled_photos_only(settings, tmp_path):
    from training.checks import check
    from training.data import read_dataset

    log = CaseLog.open(settings)
    _labelled_cases(log)
    out = tmp_path / "export"
    summary = export_training_set(log, out, TAX)
    assert (summary.photos, summary.left_out) == (4, 2)                # 'unsure' and the unlabelled one stay in
    with open(summary.manifest, newline="") as fh:
        rows = {(r["shoe_id"], r["visit_date"]): r for r in csv.DictReader(fh)}
    assert set(rows) == {("RUN-A-left", str(DAY1)), ("RUN-A-left", str(DAY2)), ("RUN-B-left", str(DAY2)),
                         ("RUN-B-right", str(DAY2))}
    corrected = rows[("RUN-A-left", str(DAY1))]
    assert corrected["label"] == "over_pronation" and float(corrected["heel_medial"]) == 0.6
    assert float(corrected["heel_lateral"]) == 0.25 and corrected["severity"] != ""   # the rest as read and confirmed
    assert rows[("RUN-B-left", str(DAY2))]["heel_medial"] == ""                       # no zones looked at: no target
    assert rows[("RUN-B-left", str(DAY2))]["mileage_km"] == "80.0"
    report = check(out)
    assert report["problems"] == [], report
    records = read_dataset(out)
    assert {r.shoe_id for r in records} == {"RUN-A-left", "RUN-B-left", "RUN-B-right"}
    assert all(r.box is not None and r.side in ("left", "right") for r in records)
    with pytest.raises(FileExistsError):
        export_training_set(log, out, TAX)                               # never into a folder that holds files
    archive, zipped = export_zip(log, TAX)
    assert zipped.photos == 4 and "cases/manifest.csv" in zipfile.ZipFile(io.BytesIO(archive)).namelist()


def test_the_case_report_holds_the_visits_the_chart_and_what_changed(settings):
    from test_report import _pdf_text

    from inference.cases.report import build_case_report

    log = CaseLog.open(settings)
    _two_visits(log, "RUN-0008")
    case = log.case("RUN-0008")
    pdf = build_case_report(case, TAX, settings.faster_than_rest, log.photos.read)
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Subtype\s*/Image", pdf)) == 5              # the chart and four photos
    text = _pdf_text(pdf)
    for expected in ("case RUN-0008", "Wear over time", "worn faster than the rest", "lateral heel strike",
                     str(DAY2), "not a diagnosis"):
        assert expected in text, expected


def test_the_cases_command_upgrades_lists_and_exports(tmp_path):
    import subprocess
    import sys

    from training.cli import main

    db = tmp_path / "cli.sqlite"
    settings = load_inference_settings().case_log.model_copy(update={"database": str(db)})
    assert main(["cases", "upgrade", "--database", str(db)]) == 0
    _labelled_cases(CaseLog.open(settings))
    listing = subprocess.run([sys.executable, "-m", "training.cli", "cases", "list", "--database", str(db)],
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0 and listing.stdout.split("\t")[0] == "RUN-B", listing.stdout
    assert main(["cases", "export", "--database", str(db), str(tmp_path / "set")]) == 0
    assert (tmp_path / "set" / "manifest.csv").is_file()
    again = subprocess.run([sys.executable, "-m", "training.cli", "cases", "export", "--database", str(db),
                            str(tmp_path / "set")], capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "not empty" in again.stderr and "Traceback" not in again.stderr
    with make_engine(database_url(str(db))).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zz_future'"))
    newer = subprocess.run([sys.executable, "-m", "training.cli", "cases", "list", "--database", str(db)],
                           capture_output=True, text=True, timeout=120)
    assert newer.returncode == 2 and "newer solewear" in newer.stderr and "Traceback" not in newer.stderr


@pytest.mark.slow
def test_from_saved_cases_to_a_fine_tuned_model(repo, tmp_path):
    """The label loop end to end: the bundled model reads the clinic's photos, the clinician labels them,
    the export trains a model from the bundled one, and that model reads photos."""
    import json
    import subprocess
    import sys

    from inference.model_store import bundled_checkpoint
    from inference.predictor import Predictor

    if bundled_checkpoint() is None:
        pytest.skip("no bundled model to read the photos and start from")
    predictor = Predictor()
    samples = repo / "data" / "samples"
    with open(samples / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    log = CaseLog.open(load_inference_settings().case_log.model_copy(update={"database": str(tmp_path / "c.sqlite")}))
    for k in range(0, len(rows), 2):                       # one case per class: its left and right sample
        pair = rows[k:k + 2]
        readings = predictor.predict_batch([samples / r["path"] for r in pair], [r["side"] for r in pair])
        log.save_visit(case_id=f"RUN-{k // 2:04d}", visit_date=DAY1, consent=True, model_version=predictor.model_version,
                       shoes=[{"side": r["side"], "photo": (samples / r["path"]).read_bytes(), "result": p[0].to_dict(),
                               "clinician_label": r["label"]} for r, p in zip(pair, readings)])
    summary = export_training_set(log, tmp_path / "export", TAX)
    assert summary.photos == len(rows)

    run = tmp_path / "tuned"
    result = subprocess.run([sys.executable, "-m", "training.cli", "train", "--config", "configs/default.yaml",
                             "--data", str(tmp_path / "export"), "--out", str(run), "--quiet",
                             "--set", "model.init_from=bundled", "--set", "optim.epochs=1",
                             "--set", "optim.validate_from=1", "--set", "optim.batch_size=4", "--set", "data.workers=0"],
                            capture_output=True, text=True, timeout=900, cwd=repo)
    assert result.returncode == 0, result.stderr[-3000:]
    meta = json.loads((run / "best.json").read_text())
    assert meta["init_from"]["checkpoint"] == str(bundled_checkpoint()) and meta["n_train"] + meta["n_val"] == len(rows)
    tuned = Predictor(run / "best.safetensors").predict(samples / rows[0]["path"], side=rows[0]["side"])[0]
    assert tuned.error is None and tuned.label in TAX.class_ids
