"""The Kubernetes example (docs/kubernetes/workhorse.yaml) parses and still fits the code:
every queue an actor uses is consumed by exactly one worker Deployment, which KEDA scales on
those queues, and there is exactly one scheduler."""

from __future__ import annotations

from collections import Counter

import dramatiq
import yaml

from tests.conftest import ROOT

MANIFESTS = ROOT / "docs" / "kubernetes" / "workhorse.yaml"


def documents() -> list[dict]:
    return [doc for doc in yaml.safe_load_all(MANIFESTS.read_text()) if doc]


def by_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] == kind}


def command(deployment: dict) -> list[str]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container["command"]


def consumed_queues(deployment: dict) -> list[str]:
    args = command(deployment)
    return args[args.index("--queues") + 1 :] if "--queues" in args else []


def test_every_document_is_a_named_kubernetes_object():
    docs = documents()
    assert len(docs) > 10
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= doc.keys(), doc
        assert doc["metadata"]["name"].startswith("workhorse")
    for deployment in by_kind("Deployment").values():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"] == labels


def test_each_queue_has_one_worker_deployment_scaled_on_its_depth():
    actor_queues = {actor.queue_name for actor in dramatiq.get_broker().actors.values()}
    workers = {name: doc for name, doc in by_kind("Deployment").items() if "rundramatiq" in command(doc)}
    consumed = Counter(queue for doc in workers.values() for queue in consumed_queues(doc))
    assert set(consumed) == actor_queues
    assert set(consumed.values()) == {1}, consumed

    scaled = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in by_kind("ScaledObject").values()}
    assert set(scaled) == set(workers)
    for name, worker in workers.items():
        triggers = scaled[name]["spec"]["triggers"]
        assert {t["type"] for t in triggers} == {"rabbitmq"}
        assert sorted(t["metadata"]["queueName"] for t in triggers) == sorted(consumed_queues(worker))
        assert {t["authenticationRef"]["name"] for t in triggers} <= set(by_kind("TriggerAuthentication"))


def test_one_scheduler_never_two_during_a_rollout():
    schedulers = [doc for doc in by_kind("Deployment").values() if "runscheduler" in command(doc)]
    [scheduler] = schedulers
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"] == {"type": "Recreate"}
    assert "workhorse-scheduler" not in {
        doc["spec"]["scaleTargetRef"]["name"]
        for kind in ("ScaledObject", "HorizontalPodAutoscaler")
        for doc in by_kind(kind).values()
    }
