"""The `retry` decorator: which errors it retries, how often, how long it waits, sync and async."""

from __future__ import annotations

import asyncio

import pytest

from core.retry import retry


class Flaky:
    """Fails with the given errors in turn, then answers "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, *args, **kwargs) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return f"ok {args} {kwargs}"


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The pauses `retry` asks for, recorded instead of slept."""
    recorded: list[float] = []

    async def async_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr("core.retry.time.sleep", recorded.append)
    monkeypatch.setattr("core.retry.asyncio.sleep", async_sleep)
    return recorded


def as_async(flaky: Flaky):
    async def call(*args, **kwargs):
        return flaky(*args, **kwargs)

    return call


def run(func, *args, **kwargs):
    result = func(*args, **kwargs)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


@pytest.fixture(params=["sync", "async"])
def wrap(request):
    """Decorate a Flaky as a plain function or as a coroutine function."""
    return (lambda flaky: flaky) if request.param == "sync" else as_async


@pytest.mark.parametrize("failures", [0, 1, 2])
def test_succeeds_within_the_allowed_attempts(wrap, sleeps, failures):
    flaky = Flaky(*[ConnectionError("down")] * failures)
    decorated = retry(times=3, delay=1.5, exceptions=(ConnectionError,))(wrap(flaky))
    assert run(decorated, 1, key="v") == "ok (1,) {'key': 'v'}"
    assert flaky.calls == failures + 1
    assert sleeps == [1.5] * failures


def test_reraises_the_last_error_after_the_last_attempt(wrap, sleeps):
    last = ConnectionError("third")
    flaky = Flaky(ConnectionError("first"), ConnectionError("second"), last)
    decorated = retry(times=3, delay=1, exceptions=(ConnectionError,))(wrap(flaky))
    with pytest.raises(ConnectionError) as raised:
        run(decorated)
    assert raised.value is last
    assert flaky.calls == 3
    assert sleeps == [1, 1]  # no pause after the last attempt


def test_other_exceptions_are_not_retried(wrap, sleeps):
    flaky = Flaky(ValueError("a bug, not an outage"))
    decorated = retry(times=3, delay=1, exceptions=(ConnectionError, TimeoutError))(wrap(flaky))
    with pytest.raises(ValueError, match="a bug"):
        run(decorated)
    assert flaky.calls == 1
    assert sleeps == []


def test_subclasses_of_listed_exceptions_are_retried(wrap, sleeps):
    flaky = Flaky(ConnectionRefusedError("refused"))
    decorated = retry(times=2, delay=0.25, exceptions=(OSError,))(wrap(flaky))
    assert run(decorated).startswith("ok")
    assert sleeps == [0.25]


def test_defaults_are_three_attempts_one_second_any_exception(wrap, sleeps):
    flaky = Flaky(RuntimeError("1"), KeyError("2"), ValueError("3"))
    with pytest.raises(ValueError):
        run(retry()(wrap(flaky)))
    assert flaky.calls == 3
    assert sleeps == [1, 1]


def test_times_one_means_no_retry(wrap, sleeps):
    flaky = Flaky(ConnectionError("once"))
    with pytest.raises(ConnectionError):
        run(retry(times=1)(wrap(flaky)))
    assert flaky.calls == 1
    assert sleeps == []


def test_keeps_the_functions_name_and_kind():
    @retry()
    def plain() -> None:
        """Docs."""

    @retry()
    async def coroutine() -> None:
        pass

    assert (plain.__name__, plain.__doc__) == ("plain", "Docs.")
    assert asyncio.iscoroutinefunction(coroutine)
    assert not asyncio.iscoroutinefunction(plain)


@pytest.mark.parametrize("kwargs", [{"times": 0}, {"delay": -1}])
def test_nonsense_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        retry(**kwargs)


def test_really_waits_between_attempts():
    # No fake sleep here: a real, short pause between two attempts.
    flaky = Flaky(ConnectionError("blip"))
    assert retry(times=2, delay=0.01)(flaky)().startswith("ok")
    assert asyncio.run(retry(times=2, delay=0.01)(as_async(Flaky(ConnectionError("blip"))))()).startswith(
        "ok"
    )
