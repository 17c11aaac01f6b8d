"""Secrets never reach an audit row: redaction by field name, at any depth."""

from __future__ import annotations

from gpustack.server.services.audit import changed_fields
from gpustack.server.services.client_address import client_address, parse_networks
from gpustack.server.services.redaction import REDACTED, is_secret_field, redact


def test_secret_names_are_recognised_and_ordinary_ones_kept() -> None:
    for name in (
        "password",
        "hashed_password",
        "hashed_secret",
        "value",
        "HF_TOKEN",
        "openai-api-key",
        "client_secret",
        "credentials",
        "access_key",
    ):
        assert is_secret_field(name), name
    for name in ("name", "total_tokens", "api_key_id", "masked_value", "description"):
        assert not is_secret_field(name), name


def test_nested_secrets_are_redacted() -> None:
    spec = {
        "name": "m",
        "env": {"HF_TOKEN": "hf_abc", "OMP_NUM_THREADS": "4"},
        "providers": [{"credentials": {"key": "sk-live"}, "url": "https://x"}],
    }
    out = redact(spec)
    assert out["env"] == {"HF_TOKEN": REDACTED, "OMP_NUM_THREADS": "4"}
    assert out["providers"] == [{"credentials": REDACTED, "url": "https://x"}]
    assert "sk-live" not in str(out) and "hf_abc" not in str(out)


def test_changes_keep_only_changed_fields_and_hide_secret_values() -> None:
    before = {"id": 1, "name": "a", "scope": "*", "updated_at": "t1"}
    after = {"id": 1, "name": "a", "scope": "inference", "updated_at": "t2", "password": "p@ss"}
    changes = changed_fields(before, after)
    assert changes == {
        "scope": {"before": "*", "after": "inference"},
        "password": {"before": None, "after": REDACTED},
    }


def test_created_and_deleted_resources_list_every_field() -> None:
    shown = {"id": 3, "name": "key", "value": "gpustack_abc_def"}
    created = changed_fields(None, shown)
    assert created["name"] == {"before": None, "after": "key"}
    assert created["value"] == {"before": None, "after": REDACTED}
    deleted = changed_fields(shown, None)
    assert deleted["id"] == {"before": 3, "after": None}


def test_forwarded_for_counts_only_behind_a_trusted_proxy() -> None:
    trusted = parse_networks(["10.0.0.0/8"])
    # No trusted proxies configured: a header anyone can send proves nothing.
    assert client_address("10.0.0.5", "1.2.3.4", ()) == "10.0.0.5"
    assert client_address("8.8.8.8", "1.2.3.4", trusted) == "8.8.8.8"
    assert client_address("10.0.0.5", "1.2.3.4", trusted) == "1.2.3.4"
    # A client-made hop left of the real one is ignored.
    assert client_address("10.0.0.5", "6.6.6.6, 1.2.3.4, 10.0.0.9", trusted) == "1.2.3.4"
