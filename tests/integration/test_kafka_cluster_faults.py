"""Faults of a 3-node real Apache Kafka (KRaft; replication factor 3, min.insync.replicas 2) while
the daemon streams: the leader of an items partition killed mid-stream, and separately the
transaction coordinator of the pipeline's transactional.id. Each ends with the exactly-once check
(every workload change once, per-key order, replay equals the table) on what a read_committed
consumer sees; the daemon must keep its PID and exit 0 on SIGTERM at the end.

Split from test_kafka_faults.py (whose Scenario these use) so that only these, with their three
JVMs, run alone under `ctest -j` (label `exclusive`); the single-broker faults run beside others.
"""

import pytest

from test_kafka_faults import ITEMS_PARTITIONS, WAIT, Scenario
from tributary_testing.kafka import start_kafka
from tributary_testing.util import wait_until


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    kafka = start_kafka(brokers=3, logdir=str(tmp_path_factory.mktemp("cluster")), backend="kafka")
    try:
        yield kafka
    finally:
        kafka.kill()  # nothing to keep; a controlled shutdown of the last node without a quorum hangs
        kafka.stop()


@pytest.fixture
def cluster_env(env, cluster):
    """The cluster with all three nodes up (a previous test may have left one down)."""
    down = [n.node_id for n in cluster.nodes if not n.running]
    for node_id in down:
        cluster.start_node(node_id, wait=False)
    if down:
        cluster.wait_ready()
    env.shared.append(cluster)  # logs attached on failure; left running
    return env


def test_cluster_partition_leader_killed(cluster_env, cluster):
    s = Scenario(cluster_env, seed=604, name="leader", cluster=cluster)
    daemon = s.daemon()
    daemon.start()
    pid = daemon.pid
    s.wait_snapshot_done()
    s.workload.start(3000, rate=300, max_txn_size=40)
    s.wait_progress(300, "before the leader is killed")

    # A leader of the items topic; not the transaction coordinator when another node leads one.
    coordinator = cluster.transaction_coordinator(s.transactional_id)
    leaders = {p: cluster.partition_leader(s.topic, p) for p in range(ITEMS_PARTITIONS)}
    partition = next((p for p, node in leaders.items() if node != coordinator), 0)
    victim = leaders[partition]
    print(f"leaders {leaders}, coordinator {coordinator}: killing node {victim} (leader of partition {partition})")
    cluster.kill(victim)
    wait_until(lambda: cluster.partition_leader(s.topic, partition) not in (victim, -1), WAIT,
               f"a new leader of {s.topic} [{partition}]")
    s.wait_progress(300, f"with node {victim} down")
    assert daemon.running and daemon.pid == pid
    # Back to three nodes while the stream goes on: the restarted node catches up as a follower.
    cluster.start_node(victim)
    s.wait_progress(200, f"after node {victim} restarted")
    final = s.finish(daemon, pid)
    s.verify(final)


def test_cluster_transaction_coordinator_killed(cluster_env, cluster):
    s = Scenario(cluster_env, seed=605, name="coord", cluster=cluster)
    daemon = s.daemon()
    daemon.start()
    pid = daemon.pid
    s.wait_snapshot_done()
    s.workload.start(3000, rate=300, max_txn_size=40)
    s.wait_progress(300, "before the coordinator is killed")

    # __transaction_state exists once the daemon's init_transactions ran: the coordinator is known.
    coordinator = cluster.transaction_coordinator(s.transactional_id)
    leaders = {p: cluster.partition_leader(s.topic, p) for p in range(ITEMS_PARTITIONS)}
    print(f"coordinator of {s.transactional_id}: node {coordinator}; items leaders {leaders}")
    cluster.kill(coordinator)
    wait_until(lambda: cluster.transaction_coordinator(s.transactional_id) not in (coordinator, -1), WAIT,
               f"a new transaction coordinator of {s.transactional_id}")
    s.wait_progress(300, f"with the coordinator (node {coordinator}) down")
    assert daemon.running and daemon.pid == pid
    # The node stays down: the daemon finishes on two of three (min.insync.replicas 2).
    final = s.finish(daemon, pid)
    s.verify(final)
