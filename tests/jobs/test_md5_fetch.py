"""The md5 handler in this process against a real loopback HTTP server and SMTP sink.

The end-to-end tests (test_md5_e2e.py) go through a worker; these cover each failure mode
quickly and exactly, with the settings each one needs.
"""

from __future__ import annotations

import hashlib
import socket
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from dramatiq.middleware import TimeLimitExceeded, raise_thread_exception

from jobs.md5 import md5_of_url, md5_run
from jobs.urlfetch import check_url_shape, is_public_address
from tasks_api.models import Task, TaskEmail, TaskStatus
from tasks_api.services import PermanentTaskError, TransientTaskError, task_requeue
from tests.jobs.conftest import generated_md5


def test_hash_and_size_match_hashlib(site):
    site.files["a"] = b"hello world\n" * 1000
    result = md5_of_url(url=site.url("/file/a"))
    assert result == {
        "md5": hashlib.md5(site.files["a"]).hexdigest(),
        "size": 12_000,
        "url": site.url("/file/a"),
    }


def test_body_without_length_is_hashed_to_the_end(site):
    result = md5_of_url(url=site.url("/gen-unsized/3000000"))
    assert result["md5"] == generated_md5(3_000_000)
    assert result["size"] == 3_000_000


def test_chunked_body_is_hashed_to_the_end(site):
    result = md5_of_url(url=site.url("/chunked/3000000"))
    assert (result["md5"], result["size"]) == (generated_md5(3_000_000), 3_000_000)


def test_a_body_cut_short_of_its_length_is_transient(site):
    # The server closes after half its declared length: not a file to hash, maybe next time.
    with pytest.raises(TransientTaskError, match="broke"):
        md5_of_url(url=site.url("/short/3000000"))


def test_empty_body(site):
    site.files["empty"] = b""
    assert md5_of_url(url=site.url("/file/empty"))["md5"] == hashlib.md5(b"").hexdigest()


def test_404_fails_at_once_with_the_status(site):
    with pytest.raises(PermanentTaskError, match="HTTP 404"):
        md5_of_url(url=site.url("/status/404"))


def test_500_is_transient(site):
    with pytest.raises(TransientTaskError, match="HTTP 500"):
        md5_of_url(url=site.url("/status/500"))


def free_port() -> int:
    """A port that was free a moment ago: nobody listens there."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_is_transient(settings):
    settings.MD5_ALLOW_PRIVATE = True
    with pytest.raises(TransientTaskError, match="refused"):
        md5_of_url(url=f"http://127.0.0.1:{free_port()}/x")


@pytest.mark.parametrize("status", [300, 301, 304])
def test_an_answer_that_is_not_a_file_fails_at_once(site, status):
    # A 301 without a Location cannot be followed; none of these bodies is the file.
    with pytest.raises(PermanentTaskError, match=f"HTTP {status} .* is not a file to hash"):
        md5_of_url(url=site.url(f"/status/{status}"))


def test_an_international_host_name_goes_out_in_its_ascii_form():
    assert check_url_shape("https://bücher.example/a") == ("https", "xn--bcher-kva.example", 443)


def test_silent_server_fails_with_a_timeout(site, settings):
    settings.MD5_READ_TIMEOUT = 0.3
    site.slow_seconds = 2
    with pytest.raises(PermanentTaskError, match=r"Timed out: .* sent nothing for 0.3 s"):
        md5_of_url(url=site.url("/slow"))


def test_redirect_chain_is_followed(site):
    site.files["end"] = b"the end"
    result = md5_of_url(url=site.url("/redirect/5/end"))
    assert result["md5"] == hashlib.md5(b"the end").hexdigest()
    assert site.hits["/redirect/0/end"] == 1


def test_too_many_redirects_fail(site, settings):
    site.files["end"] = b"the end"
    with pytest.raises(PermanentTaskError, match="Too many redirects: more than 5"):
        md5_of_url(url=site.url("/redirect/6/end"))
    assert site.hits["/redirect/0/end"] == 0


def test_declared_size_over_the_cap_fails_before_reading(site, settings):
    settings.MD5_MAX_BYTES = 1000
    with pytest.raises(PermanentTaskError, match="larger than the limit of 1000 bytes"):
        md5_of_url(url=site.url("/gen/5000"))


def test_undeclared_size_over_the_cap_fails_while_streaming(site, settings):
    settings.MD5_MAX_BYTES = 100_000
    with pytest.raises(PermanentTaskError, match="larger than the limit"):
        md5_of_url(url=site.url("/gen-unsized/3000000"))


def test_a_host_name_is_pinned_to_its_checked_address_and_keeps_its_host_header(site):
    site.files["a"] = b"x"
    md5_of_url(url=site.url("/file/a", host="localhost"))
    assert site.hosts == [f"localhost:{site.port}"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_private_addresses_are_refused_without_the_flag(site, settings, host):
    settings.MD5_ALLOW_PRIVATE = False
    with pytest.raises(PermanentTaskError, match=r"Refused: .* private, loopback") as refused:
        md5_of_url(url=site.url("/gen/10", host=host))
    assert not site.hits
    assert "127.0.0.1)" not in str(refused.value) and "(::1)" not in str(refused.value)


def test_every_redirect_hop_is_checked(site, settings, monkeypatch):
    settings.MD5_ALLOW_PRIVATE = False
    # Treat the loopback test server as if it were a public host; everything else as usual.
    checked: list[str] = []

    def public(address: str) -> bool:
        checked.append(address)
        return address == "127.0.0.1" or is_public_address(address)

    monkeypatch.setattr("jobs.urlfetch.is_public_address", public)
    site.away = "http://[::1]:9/internal"
    with pytest.raises(PermanentTaskError, match=r"Refused: ::1 resolves"):
        md5_of_url(url=site.url("/away"))
    assert checked == ["127.0.0.1", "::1"]
    assert site.hits["/away"] == 1


def test_the_checked_address_is_the_one_connected_to(site, monkeypatch):
    """DNS rebinding: a second answer for the name must not be where the bytes come from."""
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding_dns(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        # The first answer is checked; any later one points somewhere else entirely.
        address = next(answers, "10.255.255.1")
        return real_getaddrinfo(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    site.files["a"] = b"pinned"
    result = md5_of_url(url=site.url("/file/a", host="rebind.test"))
    assert result["md5"] == hashlib.md5(b"pinned").hexdigest()
    assert site.hosts == [f"rebind.test:{site.port}"]


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("fec0::1", False),  # deprecated site-local
        ("3fff::1", False),  # documentation (RFC 9637)
        # IPv6 forms that carry a private IPv4 address inside them.
        ("::127.0.0.1", False),
        ("::ffff:0:7f00:1", False),
        ("64:ff9b::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("64:ff9b:1::a00:1", False),
        ("2002:7f00:1::", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),
        # ... and the same forms around a public one stay public, except 6to4 and Teredo
        # relays, which are reserved ranges and refused.
        ("64:ff9b::808:808", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_which_addresses_count_as_public(address, public):
    assert is_public_address(address) is public


# --- mail ------------------------------------------------------------------------------


@pytest.fixture
def md5_task(owner, site):
    site.files["a"] = b"some bytes"

    def make(path: str = "/file/a") -> Task:
        return Task.objects.create(
            owner=owner,
            kind="md5",
            status=TaskStatus.RUNNING,
            params={"url": site.url(path), "email": "me@example.com"},
        )

    return make


@pytest.mark.django_db
def test_a_body_that_comes_in_one_go_costs_no_progress_write(md5_task, site):
    # Progress is for bodies someone can watch come in: twice a second, or where one stalls
    # (test_md5_e2e). One that is all there at once is hashed without writing the row.
    site.files["big"] = bytes(range(256)) * 4096 * 3  # 3 MiB
    task = md5_task("/file/big")
    with CaptureQueriesContext(connection) as queries:
        result = md5_of_url(url=task.params["url"], task_id=task.id)
    assert result["size"] == 3 * 1024 * 1024
    assert [q["sql"] for q in queries if "progress" in q["sql"]] == []


@pytest.mark.django_db
def test_a_message_run_twice_mails_once(md5_task, smtp):
    task = md5_task()
    first = md5_run(task, can_retry=True)
    second = md5_run(task, can_retry=True)  # a redelivery: the first run died before its ack
    assert first["emailed"] is second["emailed"] is True
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert message["To"] == "me@example.com"
    assert first["md5"] in message["Subject"]
    body = message.get_content()
    assert first["md5"] in body and task.params["url"] in body and "Size: 10 bytes" in body
    assert TaskEmail.objects.get(task=task).sent_at is not None


@pytest.mark.django_db
def test_a_requeued_task_mails_its_new_outcome(md5_task, smtp):
    task = md5_task("/status/404")
    with pytest.raises(PermanentTaskError):
        md5_run(task, can_retry=True)
    Task.objects.filter(id=task.id).update(status=TaskStatus.FAILED)
    task_requeue(task=task)
    task.params["url"] = task.params["url"].replace("/status/404", "/file/a")
    Task.objects.filter(id=task.id).update(status=TaskStatus.RUNNING, params=task.params)
    task.refresh_from_db()
    result = md5_run(task, can_retry=True)
    assert result["emailed"] is True
    failure, success = smtp.messages
    assert failure["Subject"].endswith("failed")
    assert result["md5"] in success["Subject"]
    assert f"({result['size']:,} bytes)" in success["Subject"]


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_run_is_taken_over(md5_task, smtp):
    task = md5_task()
    # Claimed long ago, never marked sent: that run died before the server accepted anything.
    TaskEmail.objects.create(task=task, to="me@example.com", claimed_at="2020-01-01T00:00:00Z")
    assert md5_run(task, can_retry=True)["emailed"] is True
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_live_claim_is_left_alone(md5_task, smtp, settings):
    settings.EMAIL_TIMEOUT = 1  # the run waits one claim lifetime for the other to finish
    task = md5_task()
    TaskEmail.objects.create(task=task, to="me@example.com", claimed_at="2999-01-01T00:00:00Z")
    assert md5_run(task, can_retry=True)["emailed"] is False
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_refused_mail_is_reported_in_the_result(md5_task, smtp):
    smtp.refuse = True
    result = md5_run(md5_task(), can_retry=True)
    assert result["emailed"] is False
    assert "refused the message: 550" in result["email_error"]
    assert not TaskEmail.objects.exists()  # the claim went: a later try may send


@pytest.mark.django_db
def test_a_failure_is_mailed_with_its_reason(md5_task, smtp):
    task = md5_task("/status/404")
    with pytest.raises(PermanentTaskError):
        md5_run(task, can_retry=True)
    assert len(smtp.messages) == 1
    assert "failed" in smtp.messages[0]["Subject"]
    assert "HTTP 404" in smtp.messages[0].get_content()


@pytest.mark.django_db
def test_a_transient_failure_is_mailed_only_when_no_retry_is_left(md5_task, smtp):
    task = md5_task("/status/503")
    with pytest.raises(TransientTaskError):
        md5_run(task, can_retry=True)
    assert smtp.messages == []
    with pytest.raises(TransientTaskError):
        md5_run(task, can_retry=False)
    assert len(smtp.messages) == 1
    assert "HTTP 503" in smtp.messages[0].get_content()


@pytest.mark.django_db
def test_a_mail_server_away_keeps_the_hash_and_the_retry_only_mails(md5_task, site, smtp, settings):
    task = md5_task()
    real_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()
    with pytest.raises(TransientTaskError, match="Could not reach the mail server"):
        md5_run(task, can_retry=True)
    task.refresh_from_db()
    assert task.result["md5"] == hashlib.md5(b"some bytes").hexdigest()
    settings.EMAIL_PORT = real_port
    result = md5_run(task, can_retry=True)
    assert (result["md5"], result["emailed"]) == (task.result["md5"], True)
    assert site.hits["/file/a"] == 1, "the retry did not fetch the body again"
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_mail_server_away_on_the_last_try_still_gives_the_hash(md5_task, smtp, settings):
    settings.EMAIL_PORT = free_port()
    result = md5_run(md5_task(), can_retry=False)
    assert result["md5"] == hashlib.md5(b"some bytes").hexdigest()
    assert result["emailed"] is False
    assert "Could not reach the mail server" in result["email_error"]


@pytest.mark.django_db
def test_a_task_stopped_by_its_time_limit_mails_why(md5_task, smtp, settings):
    settings.MD5_MAX_BYTES = 2**40
    task = md5_task("/gen/1000000000000")  # a body that would take hours
    # What Dramatiq's TimeLimit middleware does to a run past its limit, here after 0.3 s.
    timer = threading.Timer(0.3, raise_thread_exception, (threading.get_ident(), TimeLimitExceeded))
    timer.start()
    with pytest.raises(TimeLimitExceeded):
        md5_run(task, can_retry=True)
    timer.join()
    [mail] = smtp.messages
    assert "failed" in mail["Subject"]
    assert "ran past its time limit" in mail.get_content()
