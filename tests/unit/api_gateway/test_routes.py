"""Each source's real payload is accepted and becomes the documented task; each bad input
gets its status and a message naming what is wrong (in-process ASGI, fakeredis)."""

from __future__ import annotations

import orjson
import pytest

from ops.bench import gateway_payloads as P
from workers import task_names

JSON = {"content-type": "application/json"}
CLAY = {"Authorization": "Bearer clay-secret-acme", **JSON}


def post(gw, url, payload=None, *, raw=None, headers=None):
    body = raw if raw is not None else orjson.dumps(payload)
    return gw.client.post(url, content=body, headers={**JSON, **(headers or {})})


def test_smartlead_reply_is_normalised_for_crm_sync_without_the_secret(gateway) -> None:
    payload = P.smartlead_reply(7, secret_key="sl-secret-acme", email="Jane@Acme.com")
    payload["reply_message"]["text"] = "x" * 5000
    resp = post(gateway, "/v1/acme/smartlead", payload)
    assert resp.status_code == 202, resp.text
    event_id = resp.json()["event_id"]
    [msg] = gateway.queued()
    assert msg["task"] == task_names.HANDLE_SMARTLEAD_EVENT
    kw = msg["kwargs"]
    assert kw["account_id"] == 1 and kw["event_id"] == event_id
    assert kw["event_type"] == "EMAIL_REPLY"
    event = kw["event"]
    assert event["lead_email"] == "jane@acme.com"
    assert event["campaign_id"] == "4242"
    assert event["sl_email_lead_id"] == "100007"
    assert len(event["reply_preview"]) == 1000
    assert "sl-secret-acme" not in orjson.dumps(msg["message"]).decode()


def test_smartlead_category_update_carries_old_and_new_category(gateway) -> None:
    resp = post(
        gateway,
        "/v1/acme/smartlead/sl-secret-acme",
        P.smartlead_category(3, category="Do Not Contact"),
    )
    assert resp.status_code == 202, resp.text
    [msg] = gateway.queued()
    assert msg["kwargs"]["event_type"] == "LEAD_CATEGORY_UPDATED"
    assert msg["kwargs"]["event"]["category_new_name"] == "Do Not Contact"
    assert msg["kwargs"]["event"]["lead_email"] == "lead3@acme-3.com"


def test_smartlead_deprecated_category_twin_is_understood(gateway) -> None:
    payload = P.smartlead_category(4)
    del payload["lead_category"]
    payload["category"] = "Interested"
    assert post(gateway, "/v1/acme/smartlead/sl-secret-acme", payload).status_code == 202
    assert gateway.queued()[0]["kwargs"]["event"]["category_new_name"] == "Interested"


def test_smartlead_unsubscribe_goes_to_the_block_list_task(gateway) -> None:
    resp = post(
        gateway, "/v1/acme/smartlead", P.smartlead_unsubscribe(5, secret_key="sl-secret-acme")
    )
    assert resp.status_code == 202
    [msg] = gateway.queued()
    assert msg["task"] == task_names.HANDLE_UNSUBSCRIBE
    assert msg["kwargs"] == {
        "account_id": 1,
        "event_id": resp.json()["event_id"],
        "email": "lead5@acme.com",
        "reason": "unsubscribed",
        "campaign_id": "4242",
    }


def test_other_smartlead_event_types_are_recorded_not_enqueued(gateway) -> None:
    resp = post(gateway, "/v1/acme/smartlead", P.smartlead_open(1, secret_key="sl-secret-acme"))
    assert resp.status_code == 202 and resp.json()["recorded"] is True
    assert gateway.queued() == []
    keys = gateway.redis.keys("leadops:gateway:events:1:smartlead:*")
    assert gateway.redis.hget(keys[0], "EMAIL_OPEN") == b"1"


def test_smartlead_signature_header_is_verified_when_present(gateway) -> None:
    raw = orjson.dumps(P.smartlead_reply(1, secret_key="sl-secret-acme"))
    good = P.smartlead_signature("sl-secret-acme", raw)
    assert (
        post(
            gateway, "/v1/acme/smartlead", raw=raw, headers={"X-Smartlead-Signature": good}
        ).status_code
        == 202
    )
    bad = P.smartlead_signature("sl-secret-acme", raw + b" ")
    resp = post(gateway, "/v1/acme/smartlead", raw=raw, headers={"X-Smartlead-Signature": bad})
    assert resp.status_code == 401
    assert "X-Smartlead-Signature" in resp.json()["detail"]


@pytest.mark.parametrize(
    ("url", "secret", "message"),
    [
        ("/v1/acme/smartlead", "wrong", "wrong secret_key"),
        ("/v1/acme/smartlead", None, "missing secret_key"),
        (
            "/v1/acme/smartlead/wrong-url-secret",
            "sl-secret-acme",
            "wrong smartlead secret in the URL",
        ),
        ("/v1/bare/smartlead", "anything", "no smartlead webhook secret is configured"),
    ],
)
def test_smartlead_bad_secret_is_401_with_the_reason(gateway, url, secret, message) -> None:
    payload = P.smartlead_reply(1, secret_key=secret)
    if secret is None:
        del payload["secret_key"]
    resp = post(gateway, url, payload)
    assert resp.status_code == 401
    assert message in resp.json()["detail"]
    assert gateway.queued() == []


def test_smartlead_unknown_event_type_is_200_recorded_and_not_enqueued(gateway) -> None:
    """Smartlead retries a refused webhook for ever: an event type we do not know is accepted
    with 200, counted as UNKNOWN, and nothing is queued."""
    resp = post(gateway, "/v1/acme/smartlead/sl-secret-acme", {"event_type": "reply_received"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["unknown_event_type"] == "reply_received"
    assert gateway.queued() == []
    keys = gateway.redis.keys("leadops:gateway:events:1:smartlead:*")
    assert gateway.redis.hget(keys[0], "UNKNOWN") == b"1"


def test_smartlead_missing_event_type_or_email_is_422(gateway) -> None:
    resp = post(gateway, "/v1/acme/smartlead/sl-secret-acme", {"event_type": ""})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["loc"] == ["event_type"]
    payload = P.smartlead_reply(1)
    for key in ("sl_lead_email", "to_email"):
        del payload[key]
    resp = post(gateway, "/v1/acme/smartlead/sl-secret-acme", payload)
    assert resp.status_code == 422 and "no lead email" in resp.json()["errors"][0]["msg"]


def test_clay_row_becomes_a_lead_for_the_row_campaign(gateway) -> None:
    resp = post(gateway, "/v1/acme/clay", P.clay_row(1), headers=CLAY)
    assert resp.status_code == 202, resp.text
    [msg] = gateway.queued()
    assert msg["task"] == task_names.ACCEPT_LEAD
    kw = msg["kwargs"]
    assert kw["campaign_id"] == "4242" and kw["source"] == "clay"
    assert kw["lead"]["email"] == "prospect1@northwind-1.io"
    assert kw["lead"]["custom_fields"]["employees"] == 120
    assert "clay_table" not in kw["lead"]


def test_clay_row_without_campaign_uses_the_account_default(gateway) -> None:
    row = P.clay_row(2)
    del row["campaign_id"]
    assert post(gateway, "/v1/acme/clay", row, headers=CLAY).status_code == 202
    assert gateway.queued()[0]["kwargs"]["campaign_id"] == "900"


def test_clay_row_without_any_campaign_is_422(gateway) -> None:
    row = P.clay_row(2)
    del row["campaign_id"]
    resp = post(gateway, "/v1/globex/clay", row, headers={"X-LeadOps-Secret": "clay-secret-globex"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["loc"] == ["campaign_id"]


def test_clay_bad_rows_are_422_naming_each_field(gateway) -> None:
    row = P.clay_row(3, email="not-an-email", custom_fields={"x": {"nested": 1}})
    resp = post(gateway, "/v1/acme/clay", row, headers=CLAY)
    assert resp.status_code == 422
    locs = {tuple(e["loc"]) for e in resp.json()["errors"]}
    assert ("email",) in locs and any(loc[0] == "custom_fields" for loc in locs)
    assert "not-an-email" not in resp.text  # inputs are never echoed


def test_clay_missing_or_wrong_token_is_401(gateway) -> None:
    resp = post(gateway, "/v1/acme/clay", P.clay_row(1))
    assert resp.status_code == 401 and "missing clay secret" in resp.json()["detail"]
    resp = post(gateway, "/v1/acme/clay", P.clay_row(1), headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401 and "wrong clay secret" in resp.json()["detail"]


def test_one_accounts_secret_never_enqueues_for_another(gateway) -> None:
    resp = post(gateway, "/v1/globex/clay", P.clay_row(1), headers=CLAY)
    assert resp.status_code == 401
    resp = post(gateway, "/v1/globex/smartlead/sl-secret-acme", P.smartlead_reply(1))
    assert resp.status_code == 401
    assert gateway.queued() == []


def test_a_duplicate_is_answered_200_and_not_enqueued_twice(gateway) -> None:
    first = post(gateway, "/v1/acme/clay", P.clay_row(9), headers=CLAY)
    again = post(gateway, "/v1/acme/clay", P.clay_row(9), headers=CLAY)
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"duplicate": True, "event_id": first.json()["event_id"]}
    assert len(gateway.queued()) == 1


def test_same_event_for_two_accounts_is_not_a_duplicate(gateway) -> None:
    a = post(gateway, "/v1/acme/smartlead/sl-secret-acme", P.smartlead_reply(1))
    b = post(gateway, "/v1/globex/smartlead/sl-secret-globex", P.smartlead_reply(1))
    assert a.status_code == b.status_code == 202
    assert a.json()["event_id"] != b.json()["event_id"]
    assert [m["kwargs"]["account_id"] for m in gateway.queued()] == [1, 2]


def test_typeform_signed_response_is_enqueued_and_unknown_account_is_503(gateway) -> None:
    raw = orjson.dumps(P.typeform_response(1))
    sig = P.typeform_signature("tf-secret-acme", raw)
    resp = post(gateway, "/v1/acme/forms/typeform", raw=raw, headers={"Typeform-Signature": sig})
    assert resp.status_code == 202, resp.text
    [msg] = gateway.queued()
    assert msg["task"] == task_names.HANDLE_FORM_SUBMISSION
    assert msg["kwargs"]["provider"] == "typeform" and msg["kwargs"]["form_id"] == "lT4Z3j"
    assert msg["kwargs"]["payload"]["form_response"]["answers"][0]["email"] == "buyer1@contoso.com"
    resp = post(gateway, "/v1/nobody/forms/typeform", raw=raw, headers={"Typeform-Signature": sig})
    assert resp.status_code == 503 and resp.headers["Retry-After"]


def test_typeform_bad_or_missing_signature_is_401(gateway) -> None:
    raw = orjson.dumps(P.typeform_response(1))
    resp = post(gateway, "/v1/acme/forms/typeform", raw=raw)
    assert resp.status_code == 401 and "missing typeform-signature" in resp.json()["detail"]
    sig = P.typeform_signature("tf-secret-globex", raw)
    resp = post(gateway, "/v1/acme/forms/typeform", raw=raw, headers={"Typeform-Signature": sig})
    assert resp.status_code == 401 and "does not match" in resp.json()["detail"]


def test_tally_signed_response_is_enqueued(gateway) -> None:
    raw = orjson.dumps(P.tally_response(2))
    resp = post(
        gateway,
        "/v1/acme/forms/tally",
        raw=raw,
        headers={"Tally-Signature": P.tally_signature("tally-secret-acme", raw)},
    )
    assert resp.status_code == 202, resp.text
    kw = gateway.queued()[0]["kwargs"]
    assert kw["provider"] == "tally" and kw["form_id"] == "mO2kQa"
    # The signature must be over the exact bytes: re-serialised JSON no longer matches.
    pretty = orjson.dumps(P.tally_response(3), option=orjson.OPT_INDENT_2)
    sig = P.tally_signature("tally-secret-acme", orjson.dumps(P.tally_response(3)))
    assert (
        post(
            gateway, "/v1/acme/forms/tally", raw=pretty, headers={"Tally-Signature": sig}
        ).status_code
        == 401
    )


def test_generic_form_needs_a_configured_form_and_its_email_field(gateway) -> None:
    headers = {"X-LeadOps-Secret": "form-secret-acme"}
    body = {"work_email": "Robin@Contoso.com", "name": "Robin", "token": "should-not-pass"}
    resp = post(gateway, "/v1/acme/forms/generic/contact", body, headers=headers)
    assert resp.status_code == 202, resp.text
    kw = gateway.queued()[0]["kwargs"]
    assert kw["payload"] == {"work_email": "Robin@Contoso.com", "name": "Robin"}
    resp = post(gateway, "/v1/acme/forms/generic/unknown", body, headers=headers)
    assert resp.status_code == 404 and "not configured" in resp.json()["detail"]
    resp = post(gateway, "/v1/acme/forms/generic/contact", {"name": "x"}, headers=headers)
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["work_email"]


def test_rb2b_visit_is_enqueued_and_every_rejection_is_still_200(gateway) -> None:
    resp = post(gateway, "/v1/acme/visitors/rb2b?secret=rb2b-secret-acme", P.rb2b_visit(1))
    assert resp.status_code == 200 and resp.json()["accepted"] is True
    kw = gateway.queued()[0]["kwargs"]
    assert kw["source"] == "rb2b" and kw["email"] == "casey1@fabrikam.com"
    assert kw["domain"] == "fabrikam.com" and kw["page_url"] == "https://agency.io/pricing"
    assert kw["seen_at"] == "2025-03-04T10:15:00Z"
    for url, body in [
        ("/v1/acme/visitors/rb2b?secret=wrong", orjson.dumps(P.rb2b_visit(2))),
        ("/v1/acme/visitors/rb2b", orjson.dumps(P.rb2b_visit(3))),
        ("/v1/nobody/visitors/rb2b?secret=x", orjson.dumps(P.rb2b_visit(4))),
        ("/v1/acme/visitors/rb2b?secret=rb2b-secret-acme", b"{not json"),
        ("/v1/acme/visitors/rb2b?secret=rb2b-secret-acme", b'{"First Name": "x"}'),
    ]:
        resp = post(gateway, url, raw=body)
        assert resp.status_code == 200, url
        assert resp.json()["accepted"] is False and resp.json()["reason"]
    assert len(gateway.queued()) == 1
    assert gateway.redis.llen("leadops:gateway:rejections:rb2b") == 5


def test_rb2b_malformed_seen_at_is_parsed_leniently(gateway) -> None:
    visit = P.rb2b_visit(5)
    visit["Seen At"] = "March 4th 2025, 10:15"
    resp = post(gateway, "/v1/acme/visitors/rb2b?secret=rb2b-secret-acme", visit)
    assert resp.json()["accepted"] is True
    assert gateway.queued()[0]["kwargs"]["seen_at"].startswith("2025-03-04T10:15")


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("2026-11-23T12:34:56:00.00+00.00", "2026-11-23T12:34:56Z"),
        ("2026-11-23T12:34:56:00.00+02.00", "2026-11-23T10:34:56Z"),
        ("2026-11-23 09:05:00.123-05:30", "2026-11-23T14:35:00Z"),
        ("2026-11-23T12:34", "2026-11-23T12:34:00Z"),
    ],
)
def test_rb2b_seen_at_with_extra_fields_keeps_the_date_and_time_sent(
    gateway, sent: str, expected: str
) -> None:
    """RB2B's `2026-11-23T12:34:56:00.00+00.00` used to become the receipt time."""
    visit = P.rb2b_visit(6)
    visit["Seen At"] = sent
    resp = post(gateway, "/v1/acme/visitors/rb2b?secret=rb2b-secret-acme", visit)
    assert resp.json()["accepted"] is True
    assert gateway.queued()[0]["kwargs"]["seen_at"] == expected


def test_company_visit_becomes_one_task_per_page_view(gateway) -> None:
    resp = post(gateway, "/v1/acme/visitors/company?secret=visitor-secret-acme", P.company_visit(1))
    assert resp.status_code == 202, resp.text
    assert len(resp.json()["event_ids"]) == 2
    pages = [
        (m["kwargs"]["email"], m["kwargs"]["domain"], m["kwargs"]["page_url"])
        for m in gateway.queued()
    ]
    assert pages == [
        (None, "globex-1.com", "https://agency.io/pricing"),
        (None, "globex-1.com", "https://agency.io/case-studies"),
    ]


def test_generic_visit_needs_email_or_domain(gateway) -> None:
    headers = {"Authorization": "Bearer visitor-secret-acme"}
    resp = post(gateway, "/v1/acme/visitors/generic", P.generic_visit(1), headers=headers)
    assert resp.status_code == 202
    assert gateway.queued()[0]["kwargs"]["domain"] == "initech.com"
    resp = post(
        gateway, "/v1/acme/visitors/generic", {"page_url": "https://x.io/pricing"}, headers=headers
    )
    assert resp.status_code == 422 and "email or domain" in resp.json()["errors"][0]["msg"]


def test_unknown_account_is_404(gateway) -> None:
    resp = post(gateway, "/v1/nobody/clay", P.clay_row(1), headers=CLAY)
    assert resp.status_code == 404 and "unknown account" in resp.json()["detail"]


def test_not_json_is_415_and_a_non_object_is_422(gateway) -> None:
    form = {**CLAY, "content-type": "application/x-www-form-urlencoded"}
    resp = gateway.client.post("/v1/acme/clay", content=b"email=a@b.co", headers=form)
    assert resp.status_code == 415 and "application/json" in resp.json()["detail"]
    resp = post(gateway, "/v1/acme/clay", raw=b'{"email": ', headers=CLAY)
    assert resp.status_code == 415 and "not valid JSON" in resp.json()["detail"]
    resp = post(gateway, "/v1/acme/clay", raw=b"[1, 2]", headers=CLAY)
    assert resp.status_code == 422 and "JSON object" in resp.json()["detail"]


def test_body_over_the_limit_is_413(gateway) -> None:
    big = P.clay_row(1, custom_fields={"blob": "x" * (1024 * 1024)})
    resp = post(gateway, "/v1/acme/clay", big, headers=CLAY)
    assert resp.status_code == 413 and "larger than" in resp.json()["detail"]


def test_body_streamed_past_the_limit_without_content_length_is_413(gateway) -> None:
    async def chunks():
        for _ in range(20):
            yield b"x" * 100_000

    resp = gateway.client.post("/v1/acme/clay", content=chunks(), headers=CLAY)
    assert resp.status_code == 413


def test_metrics_count_answers_by_route(gateway) -> None:
    post(gateway, "/v1/acme/clay", P.clay_row(1), headers=CLAY)
    text = gateway.client.get("/metrics").text
    assert 'leadops_gateway_requests_total{route="/v1/{account}/clay",status="202"}' in text
    assert "leadops_gateway_enqueued_total" in text


def test_openapi_documents_the_clay_contract(gateway) -> None:
    schema = gateway.client.get("/openapi.json").json()
    body = schema["paths"]["/v1/{account}/clay"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith("/ClayRow")
    clay = schema["components"]["schemas"]["ClayRow"]
    assert clay["required"] == ["email"]
    assert {"first_name", "custom_fields", "campaign_id", "row_id"} <= set(clay["properties"])
    assert gateway.client.get("/docs").status_code == 200


@pytest.mark.parametrize("email", ["ann.@example.com", "u5@müller.de", ".ann@example.com"])
def test_clay_address_the_upload_would_refuse_is_422_naming_the_email_field(
    gateway, email: str
) -> None:
    resp = post(gateway, "/v1/acme/clay", P.clay_row(4, email=email), headers=CLAY)
    assert resp.status_code == 422
    assert ("email",) in {tuple(e["loc"]) for e in resp.json()["errors"]}


def test_clay_punycode_address_is_accepted_and_enqueued_as_received(gateway) -> None:
    resp = post(gateway, "/v1/acme/clay", P.clay_row(5, email="u5@xn--mller-kva.de"), headers=CLAY)
    assert resp.status_code == 202


def test_clay_row_with_more_custom_fields_than_the_account_allows_is_422_naming_the_field(
    gateway,
) -> None:
    """The default is Smartlead's older cap, 20 (clay_intake.max_custom_fields)."""
    fields = {f"f{i}": i for i in range(21)}
    resp = post(gateway, "/v1/acme/clay", P.clay_row(6, custom_fields=fields), headers=CLAY)
    assert resp.status_code == 422
    [err] = resp.json()["errors"]
    assert err["loc"] == ["custom_fields"] and "at most 20" in err["msg"]
    fields.pop("f20")
    resp = post(gateway, "/v1/acme/clay", P.clay_row(7, custom_fields=fields), headers=CLAY)
    assert resp.status_code == 202
