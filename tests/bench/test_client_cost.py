"""bench/_client_cost.py: both intake clients against a stand-in that answers at a set rate."""

from __future__ import annotations

import http.client

from bench._client_cost import CLIENTS, PATH, RunningStandIn, compare


def test_the_stand_in_holds_both_clients_to_the_rate_and_each_reports_its_own_cpu() -> None:
    rate, clients = 80.0, 4

    results = compare(rate, clients, seconds=1.5, rounds=1)

    assert set(results) == set(CLIENTS)
    for client, (found,) in results.items():
        assert found["errors"] == 0, (client, found["error_text"])
        assert found["submissions"] > 0, client
        # Each submitter waits clients / rate seconds for every receipt: never faster than the rate.
        assert 0 < found["rate"] <= rate * 1.1, (client, found["rate"])
        assert found["client_ms"] > 0, client


def test_the_stand_in_refuses_a_post_without_the_tokens_of_its_page() -> None:
    with RunningStandIn(pause=0.0) as stand_in:
        connection = http.client.HTTPConnection("127.0.0.1", stand_in.port, timeout=10)
        connection.request("GET", PATH)
        page = connection.getresponse()
        cookie = page.getheader("Set-Cookie", "").partition(";")[0]
        page.read()
        connection.request("POST", PATH, body=b"csrfmiddlewaretoken=forged", headers={"Cookie": cookie})
        refused = connection.getresponse()
        body = refused.read()
        connection.close()

    assert page.status == 200 and cookie.startswith("__Host-refuge-csrf=")
    assert refused.status == 400 and b"receipt__group" not in body
