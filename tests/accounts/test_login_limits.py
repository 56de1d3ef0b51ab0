"""Log-in limits that stop guessing without letting a stranger lock the owner out, and client
addresses that cannot be forged with X-Forwarded-For."""

from __future__ import annotations

import contextlib

import httpx

from plaza.config import Settings
from tests.conftest import running_app
from tests.helpers import PASSWORD, register

WRONG = {"username": "capulet", "password": "wrong-wrong"}
RIGHT = {"username": "capulet", "password": PASSWORD}


@contextlib.asynccontextmanager
async def clients(settings: Settings, *addresses: str):
    """One app, and an HTTP client per client address (as the server sees the peer)."""
    async with running_app(settings) as app, contextlib.AsyncExitStack() as stack:
        made = []
        for address in addresses:
            transport = httpx.ASGITransport(app=app, client=(address, 40000))
            made.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://t")
                )
            )
        yield made


async def test_wrong_guesses_from_one_address_do_not_lock_the_owner_out(settings):
    limited = settings.model_copy(update={"login_failures_per_address_username": "3/300"})
    async with clients(limited, "203.0.113.7", "198.51.100.20") as (attacker, owner):
        await register(owner, "capulet")
        statuses = [(await attacker.post("/api/v1/sessions", json=WRONG)).status_code]
        statuses += [(await attacker.post("/api/v1/sessions", json=WRONG)).status_code]
        statuses += [(await attacker.post("/api/v1/sessions", json=WRONG)).status_code]
        refused = await attacker.post("/api/v1/sessions", json=RIGHT)
        assert statuses == [401, 401, 401]
        # The attacker's address is now refused even with the right password...
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"
        # ...but the owner, from their own address, signs in.
        assert (await owner.post("/api/v1/sessions", json=RIGHT)).status_code == 201


async def test_the_owner_is_refused_only_under_a_distributed_attack(settings):
    limited = settings.model_copy(
        update={
            "login_failures_per_address_username": "2/300",
            "login_failures_per_username": "4/3600",
        }
    )
    addresses = [f"203.0.113.{n}" for n in range(1, 4)] + ["198.51.100.20"]
    async with clients(limited, *addresses) as (*attackers, owner):
        await register(owner, "capulet")
        for attacker in attackers[:2]:
            for _ in range(2):
                assert (await attacker.post("/api/v1/sessions", json=WRONG)).status_code == 401
        # Four failures from two addresses fill the per-username ceiling: everyone waits.
        assert (await attackers[2].post("/api/v1/sessions", json=WRONG)).status_code == 429
        assert (await owner.post("/api/v1/sessions", json=RIGHT)).status_code == 429


async def test_successful_log_ins_do_not_count_as_failures(settings):
    limited = settings.model_copy(update={"login_failures_per_address_username": "2/300"})
    async with clients(limited, "198.51.100.20") as (owner,):
        await register(owner, "capulet")
        for _ in range(5):
            assert (await owner.post("/api/v1/sessions", json=RIGHT)).status_code == 201


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(sqlite_settings):
    limited = sqlite_settings.model_copy(update={"login_failures_per_address_username": "1/300"})
    async with clients(limited, "203.0.113.7") as (client,):
        await register(client, "capulet")
        first = await client.post(
            "/api/v1/sessions", json=WRONG, headers={"x-forwarded-for": "192.0.2.1"}
        )
        # A forged header does not buy a fresh address: still 203.0.113.7, now limited.
        second = await client.post(
            "/api/v1/sessions", json=WRONG, headers={"x-forwarded-for": "192.0.2.2"}
        )
        assert (first.status_code, second.status_code) == (401, 429)
    proxied = sqlite_settings.model_copy(
        update={"login_failures_per_address_username": "1/300", "trusted_proxies": "10.0.0.0/8"}
    )
    # The same database: capulet exists already.
    async with clients(proxied, "10.1.2.3") as (proxy,):
        statuses = []
        for client_ip in ("192.0.2.1", "192.0.2.2", "192.0.2.1"):
            answer = await proxy.post(
                "/api/v1/sessions",
                json=WRONG,
                headers={"x-forwarded-for": f"{client_ip}, 10.9.9.9"},
            )
            statuses.append(answer.status_code)
        # Each real client (right-most untrusted hop) has its own budget.
        assert statuses == [401, 401, 429]
        sessions = await proxy.post(
            "/api/v1/sessions", json=RIGHT, headers={"x-forwarded-for": "192.0.2.50"}
        )
        token = sessions.json()["token"]
        mine = await proxy.get("/api/v1/sessions", headers={"authorization": f"Bearer {token}"})
        assert [s["address"] for s in mine.json()["items"] if s["current"]] == ["192.0.2.50"]
