"""The API key never shows: not in reprs, log lines, error messages or `longdoc doctor` output."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from fakeserver import Scenario
from typer.testing import CliRunner

from app.answer.llm import backend_for, save_key
from app.config import load_settings
from model.base import AuthError, IncompleteError
from model.redact import Secret, install_log_redaction, scrub


def test_secret_and_backend_reprs_hide_the_key(fake, key):
    s = load_settings(env={"LONGDOC_BACKEND": "openai", "LONGDOC_BASE_URL": fake.url + "/v1",
                           "LONGDOC_MODEL": "m", "LONGDOC_API_KEY": key})
    b = backend_for(s)
    for text in (repr(Secret(key)), str(Secret(key)), repr(b), str(b), repr(s), repr(b.__dict__)):
        assert key not in text
    assert repr(Secret(key)) == "Secret(set)" and repr(Secret(None)) == "Secret(unset)"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(Secret(key))


def test_key_never_in_logs_or_errors_even_when_the_server_echoes_it(fake, key, caplog):
    install_log_redaction()
    s = load_settings(env={"LONGDOC_BACKEND": "openai", "LONGDOC_BASE_URL": fake.url + "/v1",
                           "LONGDOC_MODEL": "m", "LONGDOC_API_KEY": key, "LONGDOC_MAX_RETRIES": "2"})
    b = backend_for(s)
    b.policy.sleep = lambda _s: None
    echo = {"error": {"message": f"Incorrect API key provided: {key}. Authorization: Bearer {key}"}}
    fake.push(
        Scenario(kind="status", status=503, body={"error": {"message": f"overloaded for {key}"}}),
        Scenario(kind="status", status=401, body=echo),
        Scenario(kind="error_event", cut_after=2),
    )
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx", "httpcore", "longdoc", "longdoc.model"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    with pytest.raises(AuthError) as ei:
        b.complete([{"role": "user", "content": "hi"}])
    assert "invalid API key" in str(ei.value) and key not in str(ei.value) and key not in repr(ei.value)
    with pytest.raises(IncompleteError) as ei2:
        b.complete([{"role": "user", "content": "hi"}])
    assert key not in str(ei2.value)
    logging.getLogger("longdoc").warning("user pasted %s by mistake", key)
    logging.getLogger("longdoc.model").error("header was Bearer %s", key)
    text = caplog.text + " ".join(r.getMessage() for r in caplog.records)
    assert "retry 1/2" in text  # the retry was logged…
    assert key not in text  # …without the key


def test_scrub_masks_key_shaped_tokens():
    assert scrub("Bearer abcdef123456 and sk-ZZZZZZZZZZZZ") == "Bearer *** and ***"


def test_save_key_writes_a_0600_file_that_settings_read(tmp_path, key):
    env = tmp_path / "cfg" / ".env"
    env.parent.mkdir()
    env.write_text("LONGDOC_BACKEND=deepseek\nLONGDOC_API_KEY=old\n")
    save_key(env, key)
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
    assert env.read_text().count("LONGDOC_API_KEY=") == 1
    s = load_settings(env={}, dotenv=env)
    assert s.api_key == key and s.backend == "deepseek"
    with pytest.raises(ValueError):
        save_key(env, "two\nlines")


def _doctor(monkeypatch, tmp_path, env: dict, *args):
    from app.faces.cli import cli

    monkeypatch.chdir(tmp_path)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return CliRunner().invoke(cli, ["doctor", *args])


def test_doctor_with_a_working_endpoint(fake, key, monkeypatch, tmp_path):
    monkeypatch.setattr(fake, "served", ["deepseek-flash", "deepseek-v4-pro"])
    r = _doctor(monkeypatch, tmp_path, {"LONGDOC_BACKEND": "deepseek", "LONGDOC_BASE_URL": fake.url,
                                        "DEEPSEEK_API_KEY": key})
    assert r.exit_code == 0, r.output
    assert key not in r.output and "api key" in r.output and "set" in r.output
    assert "deepseek-flash" in r.output and "1,048,576" in r.output and "switch" in r.output
    assert "$0.15" in r.output and "$0.3" in r.output and "$0.003" in r.output and "$1.2" in r.output
    assert "endpoint check: OK" in r.output and "served models" in r.output and "deepseek-v4-pro" in r.output
    assert fake.requests[-1]["json"]["max_tokens"] == 1 and fake.requests[-1]["json"]["thinking"] == {"type": "disabled"}


def test_doctor_reports_a_bad_key_without_printing_it(fake, key, monkeypatch, tmp_path):
    monkeypatch.setattr(fake, "served", ["deepseek-flash"])
    fake.push(Scenario(kind="status", status=401, body={"error": {"message": f"bad key {key}"}}))
    r = _doctor(monkeypatch, tmp_path, {"LONGDOC_BACKEND": "deepseek", "LONGDOC_BASE_URL": fake.url,
                                        "LONGDOC_API_KEY": key})
    assert r.exit_code == 1 and "invalid API key" in r.output and key not in r.output


def test_doctor_without_a_model(monkeypatch, tmp_path):
    r = _doctor(monkeypatch, tmp_path, {})
    assert r.exit_code == 0 and "no model configured — answers are extractive" in r.output
