#!/usr/bin/python3
"""tributary test Kafka broker: a single-process, in-memory Kafka broker with
real idempotence and transaction semantics, for tests only.

    /usr/bin/python3 broker.py --port 0 [--partitions N]
        [--transaction-timeout-ms N] [--verbose]

Prints ``BOOTSTRAP=127.0.0.1:<port>`` and then ``ADMIN=127.0.0.1:<port>`` on
stdout, then serves until SIGTERM/SIGINT.  The admin port takes one command per
line (``stop``, ``start``, ``drop``, ...) and answers ``ok ...`` or
``error ...``.  See README.md.

Standard library only (asyncio).  Never linked into the daemon.
"""

import argparse
import asyncio
import bisect
import collections
import logging
import os
import re
import signal
import struct
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kafka_protocol import (  # noqa: E402
    APIS, ERR, BATCH_HEADER, BATCH_HEADER_SIZE, ATTR_CONTROL,
    ATTR_TRANSACTIONAL, ATTR_COMPRESSION_MASK, ProtocolError, build_record_batch,
    decode, encode, iter_records, parse_request_header,
)

log = logging.getLogger("kafka_broker")

NODE_ID = 1
CLUSTER_ID = "tributary-test-cluster"
MAX_FRAME = 256 * 1024 * 1024
INT32_MAX = 0x7FFFFFFF
MAX_EPOCH = 32767
LEGAL_TOPIC = re.compile(r"^[a-zA-Z0-9._-]+$")
_BASE_OFFSET = struct.Struct(">q")
_LEADER_EPOCH = struct.Struct(">i")


def now_ms():
    return int(time.time() * 1000)


def mono():
    return time.monotonic()


# ---------------------------------------------------------------------------
# Log storage
# ---------------------------------------------------------------------------
class ProducerEntry:
    """Per-partition producer state, as Kafka's ProducerStateManager keeps."""
    __slots__ = ("epoch", "batches")

    def __init__(self, epoch):
        self.epoch = epoch
        # last 5 appended batches: (first_seq, last_seq, base_offset)
        self.batches = collections.deque(maxlen=5)

    def last_seq(self):
        return self.batches[-1][1] if self.batches else -1


class Partition:
    def __init__(self, topic, index):
        self.topic = topic
        self.index = index
        self.batches = []          # raw batch bytes, baseOffset rewritten
        self.base_offsets = []     # parallel to batches
        self.last_offsets = []     # parallel to batches
        self.hwm = 0
        self.log_start = 0
        self.producers = {}        # pid -> ProducerEntry
        self.ongoing = {}          # pid -> first offset of its open txn here
        self.aborted = []          # (pid, first_offset, last_offset)
        self.aborted_last = []     # last_offset of self.aborted, for bisect
        self.duplicates = 0

    @property
    def lso(self):
        if self.ongoing:
            return min(self.ongoing.values())
        return self.hwm

    def _append(self, batch, count):
        base = self.hwm
        self.batches.append(batch)
        self.base_offsets.append(base)
        self.last_offsets.append(base + count - 1)
        self.hwm = base + count
        return base

    def append_batch(self, view):
        """Validate and append one client record batch (a memoryview).

        Returns (error_code, base_offset, transactional_pid_or_None)."""
        if len(view) < BATCH_HEADER_SIZE:
            return ERR.CORRUPT_MESSAGE, -1, None
        (_bo, blen, _ple, magic, _crc, attrs, last_delta, _bts, _mts, pid,
         epoch, base_seq, count) = BATCH_HEADER.unpack_from(view, 0)
        if magic != 2:
            return ERR.UNSUPPORTED_FOR_MESSAGE_FORMAT, -1, None
        if blen + 12 != len(view):
            return ERR.CORRUPT_MESSAGE, -1, None
        if attrs & ATTR_CONTROL:
            return ERR.INVALID_RECORD, -1, None
        if count <= 0 or count != last_delta + 1:
            return ERR.INVALID_RECORD, -1, None
        transactional = bool(attrs & ATTR_TRANSACTIONAL)
        if pid >= 0:
            entry = self.producers.get(pid)
            last_seq = base_seq + count - 1
            if last_seq > INT32_MAX:
                last_seq -= INT32_MAX + 1
            if entry is not None:
                if epoch < entry.epoch:
                    return ERR.INVALID_PRODUCER_EPOCH, -1, None
                if epoch == entry.epoch:
                    for fs, ls, off in entry.batches:
                        if fs == base_seq and ls == last_seq:
                            self.duplicates += 1
                            log.debug("%s[%d]: duplicate batch pid=%d "
                                      "seq=%d..%d -> offset %d", self.topic,
                                      self.index, pid, fs, ls, off)
                            return ERR.NONE, off, None
                    prev = entry.last_seq()
                    expected = 0 if prev in (-1, INT32_MAX) else prev + 1
                    if base_seq != expected:
                        log.info("%s[%d]: out of order sequence pid=%d "
                                 "epoch=%d seq=%d expected=%d", self.topic,
                                 self.index, pid, epoch, base_seq, expected)
                        return ERR.OUT_OF_ORDER_SEQUENCE_NUMBER, -1, None
                else:  # newer epoch: sequence restarts at 0
                    if base_seq != 0:
                        return ERR.OUT_OF_ORDER_SEQUENCE_NUMBER, -1, None
                    entry.epoch = epoch
                    entry.batches.clear()
            else:
                # Unknown producer: accepted with any sequence (as Kafka does
                # when it holds no state for the producer id).
                entry = ProducerEntry(epoch)
                self.producers[pid] = entry
        elif transactional:
            return ERR.INVALID_RECORD, -1, None
        batch = bytearray(view)
        base = self.hwm
        _BASE_OFFSET.pack_into(batch, 0, base)
        _LEADER_EPOCH.pack_into(batch, 12, 0)
        self._append(bytes(batch), count)
        if pid >= 0:
            entry.batches.append((base_seq, last_seq, base))
        if transactional and pid not in self.ongoing:
            self.ongoing[pid] = base
        return ERR.NONE, base, (pid if transactional else None)

    def write_marker(self, pid, epoch, commit):
        """Append a COMMIT/ABORT control batch for pid.  Returns its offset."""
        base = self.hwm
        key = struct.pack(">hh", 0, 1 if commit else 0)
        value = struct.pack(">hi", 0, 0)  # version, coordinator epoch
        batch = build_record_batch(
            base, [(key, value)], now_ms(), producer_id=pid,
            producer_epoch=epoch, base_sequence=-1,
            attributes=ATTR_TRANSACTIONAL | ATTR_CONTROL)
        self._append(batch, 1)
        entry = self.producers.get(pid)
        if entry is None:
            self.producers[pid] = ProducerEntry(epoch)
        elif epoch > entry.epoch:
            entry.epoch = epoch
            entry.batches.clear()
        first = self.ongoing.pop(pid, None)
        if not commit and first is not None:
            self.aborted.append((pid, first, base))
            self.aborted_last.append(base)
        return base

    def read(self, offset, limit, max_bytes, total_budget, force_first):
        """Batches from the one containing offset, below limit (exclusive),
        within max_bytes / total_budget (the first batch is returned even if
        larger when force_first, as KIP-74 requires).
        Returns (list_of_batches, nbytes, upper) where upper is the offset
        after the last returned batch."""
        idx = bisect.bisect_left(self.last_offsets, offset)
        out = []
        size = 0
        upper = offset
        n = len(self.batches)
        while idx < n and self.base_offsets[idx] < limit:
            b = self.batches[idx]
            if (out or not force_first) and (size + len(b) > max_bytes or
                                             size + len(b) > total_budget):
                break
            out.append(b)
            size += len(b)
            upper = self.last_offsets[idx] + 1
            idx += 1
            if size >= max_bytes or size >= total_budget:
                break
        return out, size, upper

    def aborted_in(self, start, upper):
        """Aborted transactions overlapping [start, upper)."""
        idx = bisect.bisect_left(self.aborted_last, start)
        res = []
        for pid, first, _last in self.aborted[idx:]:
            if first < upper:
                res.append({"producer_id": pid, "first_offset": first})
        return res

    def offset_for_time(self, ts):
        for i, b in enumerate(self.batches):
            (_bo, _bl, _ple, _m, _crc, attrs, _lod, bts, mts, _pid, _ep, _bs,
             _cnt) = BATCH_HEADER.unpack_from(b, 0)
            if attrs & ATTR_CONTROL or mts < ts:
                continue
            base = self.base_offsets[i]
            if attrs & ATTR_COMPRESSION_MASK:
                return base, mts
            for off_delta, ts_delta, _k, _v in iter_records(b):
                if bts + ts_delta >= ts:
                    return base + off_delta, bts + ts_delta
            return base, mts
        return -1, -1


class Topic:
    def __init__(self, name, partitions):
        self.name = name
        self.partitions = [Partition(name, i) for i in range(partitions)]


# ---------------------------------------------------------------------------
# Transactions and groups
# ---------------------------------------------------------------------------
class Txn:
    def __init__(self, txn_id, pid, timeout_ms):
        self.txn_id = txn_id
        self.pid = pid
        self.epoch = 0
        self.last_epoch = -1
        self.timeout_ms = timeout_ms
        self.state = "Empty"   # Empty, Ongoing, CompleteCommit, CompleteAbort
        self.partitions = set()   # (topic, partition)
        self.groups = set()
        self.start = None


class Member:
    def __init__(self, member_id, client_id, session_ms, rebalance_ms):
        self.member_id = member_id
        self.instance_id = None
        self.client_id = client_id
        self.session_ms = session_ms
        self.rebalance_ms = rebalance_ms
        self.protocols = []
        self.join_fut = None
        self.sync_fut = None
        self.assignment = b""
        self.last_seen = mono()

    def joining(self):
        return self.join_fut is not None and not self.join_fut.done()


class Group:
    def __init__(self, group_id):
        self.group_id = group_id
        self.state = "Empty"   # Empty, PreparingRebalance,
        #                        CompletingRebalance, Stable
        self.generation = 0
        self.protocol_type = None
        self.protocol = None
        self.leader = None
        self.members = {}      # ordered: member_id -> Member
        self.offsets = {}      # (topic, partition) -> (offset, epoch, meta)
        self.pending_txn = {}  # pid -> {(topic, partition): (off, ep, meta)}
        self.join_timer = None
        self.not_before = 0.0


# ---------------------------------------------------------------------------
# Broker
# ---------------------------------------------------------------------------
class Connection:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.task = None
        peer = writer.get_extra_info("peername")
        self.peer = "%s:%s" % (peer[0], peer[1]) if peer else "?"


class Broker:
    def __init__(self, args):
        self.args = args
        self.host = args.host
        self.port = args.port
        self.admin_port = args.admin_port
        self.default_partitions = args.partitions
        self.txn_timeout_cap = args.transaction_timeout_ms
        self.topics = {}
        self.groups = {}
        self.txns = {}
        self.next_pid = 1000
        self.server = None
        self.admin_server = None
        self.conns = set()
        self.waiters = set()      # futures of long-polling fetches
        self.lose_produce_responses = 0
        self.stats = collections.Counter()
        self.stopping = asyncio.Event()
        self.handlers = {
            0: self.h_produce, 1: self.h_fetch, 2: self.h_list_offsets,
            3: self.h_metadata, 8: self.h_offset_commit,
            9: self.h_offset_fetch, 10: self.h_find_coordinator,
            11: self.h_join_group, 12: self.h_heartbeat,
            13: self.h_leave_group, 14: self.h_sync_group,
            18: self.h_api_versions, 19: self.h_create_topics,
            22: self.h_init_producer_id, 24: self.h_add_partitions_to_txn,
            25: self.h_add_offsets_to_txn, 26: self.h_end_txn,
            28: self.h_txn_offset_commit, 32: self.h_describe_configs,
        }

    # -- lifecycle ------------------------------------------------------------
    async def start_listener(self):
        self.server = await asyncio.start_server(
            self.serve_client, self.host, self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]
        log.info("listening on %s:%d", self.host, self.port)

    async def stop_listener(self):
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
            log.info("listener stopped")
        self.drop_connections()

    def drop_connections(self):
        for conn in list(self.conns):
            conn.writer.transport.abort()
            if conn.task is not None:
                conn.task.cancel()
        n = len(self.conns)
        self.conns.clear()
        log.info("dropped %d client connection(s)", n)

    async def run(self):
        await self.start_listener()
        self.admin_server = await asyncio.start_server(
            self.serve_admin, self.host, self.admin_port, reuse_address=True)
        admin_port = self.admin_server.sockets[0].getsockname()[1]
        sys.stdout.write("BOOTSTRAP=%s:%d\n" % (self.host, self.port))
        sys.stdout.write("ADMIN=%s:%d\n" % (self.host, admin_port))
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        sweeper = asyncio.ensure_future(self.sweeper())
        if self.args.stdin:
            self.start_stdin_reader(loop)
        await self.stopping.wait()
        log.info("shutting down")
        sweeper.cancel()
        await self.stop_listener()
        self.admin_server.close()

    # -- helpers -------------------------------------------------------------
    def notify(self):
        waiters, self.waiters = self.waiters, set()
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def alloc_pid(self):
        pid = self.next_pid
        self.next_pid += 1
        return pid

    def create_topic(self, name, partitions):
        t = Topic(name, partitions)
        self.topics[name] = t
        log.info("created topic %s with %d partition(s)", name, partitions)
        return t

    def partition(self, topic, index):
        t = self.topics.get(topic)
        if t is None or index < 0 or index >= len(t.partitions):
            return None
        return t.partitions[index]

    @staticmethod
    def valid_topic_name(name):
        return (bool(name) and len(name) <= 249 and name not in (".", "..")
                and LEGAL_TOPIC.match(name) is not None)

    # -- connection handling ---------------------------------------------------
    async def serve_client(self, reader, writer):
        conn = Connection(reader, writer)
        conn.task = asyncio.current_task()
        self.conns.add(conn)
        log.debug("connection from %s", conn.peer)
        try:
            while True:
                hdr = await reader.readexactly(4)
                (size,) = struct.unpack(">i", hdr)
                if size <= 0 or size > MAX_FRAME:
                    log.warning("%s: bad frame size %d", conn.peer, size)
                    break
                frame = await reader.readexactly(size)
                resp = await self.dispatch(conn, frame)
                if resp is False:
                    break
                if resp is not None:
                    writer.write(resp)
                    if writer.transport.get_write_buffer_size() > 4 << 20:
                        await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError,
                asyncio.CancelledError):
            pass
        except Exception:
            log.exception("%s: connection failed", conn.peer)
        finally:
            self.conns.discard(conn)
            writer.transport.abort()
            log.debug("connection from %s closed", conn.peer)

    async def dispatch(self, conn, frame):
        try:
            api_key, version, corr, client_id, pos = parse_request_header(
                frame)
        except ProtocolError as e:
            log.warning("%s: bad request header: %s", conn.peer, e)
            return False
        api = APIS.get(api_key)
        if api is None:
            log.warning("%s: unsupported api key %d v%d", conn.peer, api_key,
                        version)
            return False
        if api_key == 18 and version > api.vmax:
            # KIP-511: answer an unsupported ApiVersions version with a v0
            # response carrying UNSUPPORTED_VERSION and our versions.
            log.debug("ApiVersions v%d corr=%d client=%s -> fallback v0",
                      version, corr, client_id)
            body = encode(api, 0, {"error_code": ERR.UNSUPPORTED_VERSION,
                                   "api_keys": self.api_version_list()})
            return struct.pack(">ii", len(body) + 4, corr) + body
        if not api.vmin <= version <= api.vmax:
            log.warning("%s: unsupported %s version %d", conn.peer, api.name,
                        version)
            return False
        try:
            req = decode(api, version, frame, pos)
        except ProtocolError as e:
            log.warning("%s: cannot parse %s v%d: %s", conn.peer, api.name,
                        version, e)
            return False
        log.debug("%s v%d corr=%d client=%s peer=%s", api.name, version, corr,
                  client_id, conn.peer)
        ctx = (conn, client_id or "", version)
        resp = await self.handlers[api_key](req, ctx)
        if resp is None:          # e.g. acks=0 produce: no response
            return None
        if resp is False:         # fault injection: drop the connection
            return False
        body = encode(api, version, resp)
        if api.flexible(version) and api_key != 18:
            return b"".join((struct.pack(">iib", len(body) + 5, corr, 0),
                             body))
        return b"".join((struct.pack(">ii", len(body) + 4, corr), body))

    # -- ApiVersions -----------------------------------------------------------
    @staticmethod
    def api_version_list():
        return [{"api_key": a.key, "min_version": a.vmin,
                 "max_version": a.vmax} for a in sorted(APIS.values(),
                                                        key=lambda a: a.key)]

    async def h_api_versions(self, req, ctx):
        return {"error_code": 0, "api_keys": self.api_version_list()}

    # -- Metadata --------------------------------------------------------------
    async def h_metadata(self, req, ctx):
        version = ctx[2]
        names = req["topics"]
        if names is None or (version == 0 and not names):
            wanted = sorted(self.topics)
        else:
            wanted = [t["name"] for t in names]
        allow = version < 4 or req["allow_auto_topic_creation"]
        topics = []
        for name in wanted:
            t = self.topics.get(name)
            if t is None:
                if not self.valid_topic_name(name):
                    topics.append({"error_code": ERR.INVALID_TOPIC_EXCEPTION,
                                   "name": name, "partitions": []})
                    continue
                if not allow:
                    topics.append({"error_code":
                                   ERR.UNKNOWN_TOPIC_OR_PARTITION,
                                   "name": name, "partitions": []})
                    continue
                t = self.create_topic(name, self.default_partitions)
            topics.append({
                "error_code": 0, "name": name, "is_internal": False,
                "partitions": [{"error_code": 0, "partition_index": p.index,
                                "leader_id": NODE_ID,
                                "replica_nodes": [NODE_ID],
                                "isr_nodes": [NODE_ID]}
                               for p in t.partitions]})
        return {"brokers": [{"node_id": NODE_ID, "host": self.host,
                             "port": self.port, "rack": None}],
                "cluster_id": CLUSTER_ID, "controller_id": NODE_ID,
                "topics": topics}

    # -- CreateTopics / DescribeConfigs ----------------------------------------
    async def h_create_topics(self, req, ctx):
        out = []
        for t in req["topics"]:
            name = t["name"]
            n = t["num_partitions"]
            rf = t["replication_factor"]
            if t["assignments"]:
                n = len(t["assignments"])
            if n == -1:
                n = self.default_partitions
            err, msg = ERR.NONE, None
            if not self.valid_topic_name(name):
                err, msg = ERR.INVALID_TOPIC_EXCEPTION, "invalid topic name"
            elif name in self.topics:
                err, msg = ERR.TOPIC_ALREADY_EXISTS, "topic already exists"
            elif n <= 0:
                err, msg = ERR.INVALID_PARTITIONS, "invalid partition count"
            elif rf not in (-1, 1):
                err, msg = (ERR.INVALID_REPLICATION_FACTOR,
                            "replication factor must be 1 (single broker)")
            elif not req["validate_only"]:
                self.create_topic(name, n)
            out.append({"name": name, "error_code": err,
                        "error_message": msg})
        return {"topics": out}

    def topic_configs(self):
        return [("cleanup.policy", "delete"), ("retention.ms", "-1"),
                ("max.message.bytes", "104857600"),
                ("message.timestamp.type", "CreateTime"),
                ("min.insync.replicas", "1")]

    def broker_configs(self):
        return [("num.partitions", str(self.default_partitions)),
                ("auto.create.topics.enable", "true"),
                ("transaction.max.timeout.ms", str(self.txn_timeout_cap)),
                ("offsets.topic.replication.factor", "1"),
                ("transaction.state.log.replication.factor", "1"),
                ("group.initial.rebalance.delay.ms",
                 str(self.args.initial_rebalance_delay_ms))]

    async def h_describe_configs(self, req, ctx):
        version = ctx[2]
        results = []
        for res in req["resources"]:
            rtype, rname = res["resource_type"], res["resource_name"]
            err, msg, configs = ERR.NONE, None, []
            if rtype == 2:
                if rname not in self.topics:
                    err, msg = ERR.UNKNOWN_TOPIC_OR_PARTITION, "unknown topic"
                else:
                    configs = self.topic_configs()
            elif rtype == 4:
                configs = self.broker_configs()
            else:
                err, msg = ERR.INVALID_REQUEST, "unsupported resource type"
            keys = res["configuration_keys"]
            if keys is not None:
                configs = [c for c in configs if c[0] in keys]
            results.append({
                "error_code": err, "error_message": msg,
                "resource_type": rtype, "resource_name": rname,
                "configs": [{"name": k, "value": v, "read_only": False,
                             "is_default": True,
                             "config_source": 5 if version >= 1 else -1,
                             "is_sensitive": False, "synonyms": []}
                            for k, v in configs]})
        return {"results": results}

    # -- Produce ---------------------------------------------------------------
    async def h_produce(self, req, ctx):
        acks = req["acks"]
        txn_id = req["transactional_id"]
        responses = []
        appended = False
        for td in req["topic_data"]:
            name = td["name"]
            parts = []
            for pd in td["partition_data"]:
                idx = pd["index"]
                err, base = ERR.NONE, -1
                part = self.partition(name, idx)
                if acks not in (-1, 0, 1):
                    err = ERR.INVALID_REQUIRED_ACKS
                elif part is None:
                    err = ERR.UNKNOWN_TOPIC_OR_PARTITION
                elif pd["records"] is None or len(pd["records"]) == 0:
                    err = ERR.CORRUPT_MESSAGE
                else:
                    err, base, tpid = part.append_batch(
                        memoryview(pd["records"]))
                    if err == ERR.NONE:
                        appended = True
                        if tpid is not None:
                            self.check_txn_partition(txn_id, tpid, name, idx)
                    else:
                        self.stats["produce_error_%d" % err] += 1
                parts.append({"index": idx, "error_code": err,
                              "base_offset": base, "log_append_time_ms": -1,
                              "log_start_offset": part.log_start
                              if part else -1})
            responses.append({"name": name, "partition_responses": parts})
        if appended:
            self.notify()
        if acks == 0:
            return None
        if self.lose_produce_responses > 0 and appended:
            self.lose_produce_responses -= 1
            log.info("fault injection: dropping connection instead of "
                     "sending a Produce response (%d left)",
                     self.lose_produce_responses)
            return False
        return {"responses": responses, "throttle_time_ms": 0}

    def check_txn_partition(self, txn_id, pid, topic, idx):
        t = self.txns.get(txn_id) if txn_id is not None else None
        if t is None or t.pid != pid:
            log.warning("transactional batch from pid %d (txn %r) without a "
                        "matching transaction", pid, txn_id)
            return
        if (topic, idx) not in t.partitions:
            log.warning("txn %s: produced to %s[%d] before "
                        "AddPartitionsToTxn; adding it", txn_id, topic, idx)
            t.partitions.add((topic, idx))
            if t.state != "Ongoing":
                t.state = "Ongoing"
                t.start = mono()

    # -- Fetch -----------------------------------------------------------------
    def build_fetch(self, req, version):
        committed = req["isolation_level"] == 1
        budget = req["max_bytes"] if version >= 3 else INT32_MAX
        if budget <= 0:
            budget = INT32_MAX
        total = 0
        any_error = False
        responses = []
        for tp in req["topics"]:
            parts = []
            for pp in tp["partitions"]:
                part = self.partition(tp["topic"], pp["partition"])
                entry = {"partition_index": pp["partition"],
                         "high_watermark": -1, "last_stable_offset": -1,
                         "log_start_offset": -1, "records": b"",
                         "aborted_transactions": None}
                if part is None:
                    entry["error_code"] = ERR.UNKNOWN_TOPIC_OR_PARTITION
                    any_error = True
                    parts.append(entry)
                    continue
                entry["high_watermark"] = part.hwm
                entry["last_stable_offset"] = part.lso
                entry["log_start_offset"] = part.log_start
                off = pp["fetch_offset"]
                if off < part.log_start or off > part.hwm:
                    entry["error_code"] = ERR.OFFSET_OUT_OF_RANGE
                    any_error = True
                    parts.append(entry)
                    continue
                entry["error_code"] = 0
                limit = part.lso if committed else part.hwm
                pmax = pp["partition_max_bytes"]
                if pmax <= 0:
                    pmax = INT32_MAX
                batches, size, upper = part.read(
                    off, limit, pmax, budget - total, total == 0)
                total += size
                entry["records"] = batches
                if committed:
                    entry["aborted_transactions"] = (
                        part.aborted_in(off, upper) if batches else [])
                parts.append(entry)
            responses.append({"topic": tp["topic"], "partitions": parts})
        return {"throttle_time_ms": 0, "error_code": 0, "session_id": 0,
                "responses": responses}, total, any_error

    async def h_fetch(self, req, ctx):
        version = ctx[2]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0, req["max_wait_ms"]) / 1000.0
        min_bytes = max(1, req["min_bytes"])
        while True:
            resp, total, any_error = self.build_fetch(req, version)
            remaining = deadline - loop.time()
            if total >= min_bytes or any_error or remaining <= 0 or \
                    not req["topics"]:
                return resp
            fut = loop.create_future()
            self.waiters.add(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except asyncio.TimeoutError:
                pass
            finally:
                self.waiters.discard(fut)

    # -- ListOffsets -----------------------------------------------------------
    async def h_list_offsets(self, req, ctx):
        committed = req["isolation_level"] == 1
        topics = []
        for tp in req["topics"]:
            parts = []
            for pp in tp["partitions"]:
                part = self.partition(tp["name"], pp["partition_index"])
                e = {"partition_index": pp["partition_index"],
                     "timestamp": -1, "offset": -1, "error_code": 0}
                if part is None:
                    e["error_code"] = ERR.UNKNOWN_TOPIC_OR_PARTITION
                elif pp["timestamp"] == -1:
                    e["offset"] = part.lso if committed else part.hwm
                elif pp["timestamp"] == -2:
                    e["offset"] = part.log_start
                else:
                    off, ts = part.offset_for_time(pp["timestamp"])
                    limit = part.lso if committed else part.hwm
                    if off >= limit:
                        off, ts = -1, -1
                    e["offset"], e["timestamp"] = off, ts
                parts.append(e)
            topics.append({"name": tp["name"], "partitions": parts})
        return {"throttle_time_ms": 0, "topics": topics}

    # -- FindCoordinator ---------------------------------------------------------
    async def h_find_coordinator(self, req, ctx):
        return {"throttle_time_ms": 0, "error_code": 0, "error_message": None,
                "node_id": NODE_ID, "host": self.host, "port": self.port}

    # -- Transactions ------------------------------------------------------------
    def fenced_code(self, api_name, version):
        if api_name == "InitProducerId" and version >= 4:
            return ERR.PRODUCER_FENCED
        if api_name == "TxnOffsetCommit" and version >= 3:
            return ERR.PRODUCER_FENCED
        return ERR.INVALID_PRODUCER_EPOCH

    def end_txn(self, t, commit, marker_epoch):
        """Write markers, settle offsets, complete the transaction."""
        for topic, idx in sorted(t.partitions):
            part = self.partition(topic, idx)
            if part is not None:
                part.write_marker(t.pid, marker_epoch, commit)
        for gid in t.groups:
            g = self.groups.get(gid)
            if g is None:
                continue
            pending = g.pending_txn.pop(t.pid, None)
            if commit and pending:
                g.offsets.update(pending)
        self.stats["txn_commit" if commit else "txn_abort"] += 1
        log.info("txn %s pid=%d epoch=%d: %s (%d partition(s), %d group(s))",
                 t.txn_id, t.pid, t.epoch, "COMMIT" if commit else "ABORT",
                 len(t.partitions), len(t.groups))
        t.state = "CompleteCommit" if commit else "CompleteAbort"
        t.partitions = set()
        t.groups = set()
        t.start = None
        self.notify()

    def bump_epoch(self, t, reason):
        """Bump the epoch (fencing the old one); abort an open transaction
        with markers carrying the new epoch."""
        new_epoch = t.epoch + 1
        if new_epoch >= MAX_EPOCH:
            if t.state == "Ongoing":
                self.end_txn(t, False, MAX_EPOCH)
            t.pid = self.alloc_pid()
            t.epoch = 0
        else:
            if t.state == "Ongoing":
                self.end_txn(t, False, new_epoch)
            t.epoch = new_epoch
        log.info("txn %s: epoch bumped to pid=%d epoch=%d (%s)", t.txn_id,
                 t.pid, t.epoch, reason)

    async def h_init_producer_id(self, req, ctx):
        version = ctx[2]
        tid = req["transactional_id"]
        resp = {"throttle_time_ms": 0, "error_code": 0, "producer_id": -1,
                "producer_epoch": -1}
        if tid is None:
            resp["producer_id"] = self.alloc_pid()
            resp["producer_epoch"] = 0
            log.info("idempotent producer id %d (client %s)",
                     resp["producer_id"], ctx[1])
            return resp
        timeout = req["transaction_timeout_ms"]
        if timeout <= 0:
            resp["error_code"] = ERR.INVALID_TRANSACTION_TIMEOUT
            return resp
        timeout = min(timeout, self.txn_timeout_cap)
        t = self.txns.get(tid)
        req_pid, req_epoch = req["producer_id"], req["producer_epoch"]
        if t is None:
            if req_pid != -1:
                resp["error_code"] = ERR.INVALID_PRODUCER_ID_MAPPING
                return resp
            t = Txn(tid, self.alloc_pid(), timeout)
            self.txns[tid] = t
            log.info("txn %s: new producer id %d epoch 0 (timeout %d ms)",
                     tid, t.pid, timeout)
        elif req_pid != -1:
            # KIP-360: the producer asks to bump its own epoch.
            if req_pid == t.pid and req_epoch == t.epoch:
                self.bump_epoch(t, "epoch bump requested by producer")
                t.last_epoch = req_epoch
            elif req_pid == t.pid and req_epoch == t.last_epoch:
                pass  # retry of a bump we already did
            else:
                resp["error_code"] = (ERR.INVALID_PRODUCER_ID_MAPPING
                                      if req_pid != t.pid else
                                      self.fenced_code("InitProducerId",
                                                       version))
                return resp
        else:
            self.bump_epoch(t, "InitProducerId for an existing "
                               "transactional.id (fences the old epoch)")
            t.last_epoch = -1
        t.timeout_ms = timeout
        if t.state == "Ongoing":   # cannot happen: bump aborts
            t.state = "CompleteAbort"
        resp["producer_id"] = t.pid
        resp["producer_epoch"] = t.epoch
        return resp

    def check_txn(self, tid, pid, epoch, api_name, version):
        t = self.txns.get(tid)
        if t is None or t.pid != pid:
            return None, ERR.INVALID_PRODUCER_ID_MAPPING
        if epoch != t.epoch:
            log.info("txn %s: %s with stale epoch %d (current %d): fenced",
                     tid, api_name, epoch, t.epoch)
            return t, self.fenced_code(api_name, version)
        return t, ERR.NONE

    def begin_if_needed(self, t):
        if t.state != "Ongoing":
            t.state = "Ongoing"
            t.start = mono()

    async def h_add_partitions_to_txn(self, req, ctx):
        t, err = self.check_txn(req["transactional_id"], req["producer_id"],
                                req["producer_epoch"], "AddPartitionsToTxn",
                                ctx[2])
        wanted = [(tp["name"], p) for tp in req["topics"]
                  for p in tp["partitions"]]
        errors = {}
        if err == ERR.NONE:
            unknown = [tp for tp in wanted if self.partition(*tp) is None]
            if unknown:
                for tp in wanted:
                    errors[tp] = (ERR.UNKNOWN_TOPIC_OR_PARTITION
                                  if tp in unknown else
                                  ERR.OPERATION_NOT_ATTEMPTED)
            else:
                self.begin_if_needed(t)
                t.partitions.update(wanted)
        else:
            errors = {tp: err for tp in wanted}
        results = []
        for tp in req["topics"]:
            results.append({"name": tp["name"], "results": [
                {"partition_index": p,
                 "error_code": errors.get((tp["name"], p), 0)}
                for p in tp["partitions"]]})
        return {"throttle_time_ms": 0, "results": results}

    async def h_add_offsets_to_txn(self, req, ctx):
        t, err = self.check_txn(req["transactional_id"], req["producer_id"],
                                req["producer_epoch"], "AddOffsetsToTxn",
                                ctx[2])
        if err == ERR.NONE:
            self.begin_if_needed(t)
            t.groups.add(req["group_id"])
        return {"throttle_time_ms": 0, "error_code": err}

    async def h_end_txn(self, req, ctx):
        commit = req["committed"]
        t, err = self.check_txn(req["transactional_id"], req["producer_id"],
                                req["producer_epoch"], "EndTxn", ctx[2])
        if err == ERR.NONE:
            if t.state == "Ongoing":
                self.end_txn(t, commit, t.epoch)
            elif (t.state == "CompleteCommit" and commit) or \
                    (t.state == "CompleteAbort" and not commit):
                pass  # retry of a completed EndTxn
            else:
                log.info("txn %s: EndTxn(%s) in state %s", t.txn_id,
                         "commit" if commit else "abort", t.state)
                err = ERR.INVALID_TXN_STATE
        return {"throttle_time_ms": 0, "error_code": err}

    async def h_txn_offset_commit(self, req, ctx):
        version = ctx[2]
        t, err = self.check_txn(req["transactional_id"], req["producer_id"],
                                req["producer_epoch"], "TxnOffsetCommit",
                                version)
        gid = req["group_id"]
        if err == ERR.NONE:
            g = self.groups.get(gid)
            if req["generation_id"] >= 0 or req["member_id"]:
                err = self.validate_member(g, req["member_id"],
                                           req["generation_id"])
        if err == ERR.NONE:
            g = self.groups.setdefault(gid, Group(gid))
            if gid not in t.groups:
                log.warning("txn %s: TxnOffsetCommit for group %s before "
                            "AddOffsetsToTxn; adding it", t.txn_id, gid)
                self.begin_if_needed(t)
                t.groups.add(gid)
            pending = g.pending_txn.setdefault(t.pid, {})
            for tp in req["topics"]:
                for p in tp["partitions"]:
                    pending[(tp["name"], p["partition_index"])] = (
                        p["committed_offset"], p["committed_leader_epoch"],
                        p["committed_metadata"])
        return {"throttle_time_ms": 0, "topics": [
            {"name": tp["name"], "partitions": [
                {"partition_index": p["partition_index"], "error_code": err}
                for p in tp["partitions"]]} for tp in req["topics"]]}

    # -- Group membership --------------------------------------------------------
    def validate_member(self, g, member_id, generation):
        if g is None or member_id not in g.members:
            return ERR.UNKNOWN_MEMBER_ID
        if generation != g.generation:
            return ERR.ILLEGAL_GENERATION
        return ERR.NONE

    def join_response(self, g, m, err=ERR.NONE):
        return {"throttle_time_ms": 0, "error_code": err,
                "generation_id": g.generation if not err else -1,
                "protocol_name": (g.protocol or "") if not err else "",
                "leader": (g.leader or "") if not err else "",
                "member_id": m.member_id if m else "",
                "members": []}

    def prepare_rebalance(self, g, reason):
        loop = asyncio.get_running_loop()
        if g.state == "CompletingRebalance":
            for m in g.members.values():
                if m.sync_fut is not None and not m.sync_fut.done():
                    m.sync_fut.set_result(ERR.REBALANCE_IN_PROGRESS)
        was_empty = g.state == "Empty"
        g.state = "PreparingRebalance"
        timeout = max([m.rebalance_ms for m in g.members.values()] or [0])
        if was_empty and self.args.initial_rebalance_delay_ms > 0:
            delay = self.args.initial_rebalance_delay_ms / 1000.0
            g.not_before = mono() + delay
            loop.call_later(delay, self.maybe_complete_join, g)
        else:
            g.not_before = 0.0
        if g.join_timer is not None:
            g.join_timer.cancel()
        g.join_timer = loop.call_later(timeout / 1000.0, self.complete_join, g)
        log.info("group %s: preparing rebalance (%s)", g.group_id, reason)

    def maybe_complete_join(self, g):
        if g.state != "PreparingRebalance" or mono() < g.not_before:
            return
        if all(m.joining() for m in g.members.values()):
            self.complete_join(g)

    def complete_join(self, g):
        if g.join_timer is not None:
            g.join_timer.cancel()
            g.join_timer = None
        if g.state != "PreparingRebalance":
            return
        for mid, m in list(g.members.items()):
            if not m.joining():
                log.info("group %s: member %s did not rejoin in time",
                         g.group_id, mid)
                self.remove_member(g, m, rebalance=False)
        g.generation += 1
        if not g.members:
            g.state = "Empty"
            g.protocol = None
            g.leader = None
            g.protocol_type = None
            log.info("group %s: empty (generation %d)", g.group_id,
                     g.generation)
            return
        members = list(g.members.values())
        common = set(n for n, _ in members[0].protocols)
        for m in members[1:]:
            common &= set(n for n, _ in m.protocols)
        votes = collections.Counter()
        for m in members:
            for n, _ in m.protocols:
                if n in common:
                    votes[n] += 1
                    break
        g.protocol = max(sorted(votes), key=lambda n: votes[n])
        if g.leader not in g.members:
            g.leader = members[0].member_id
        g.state = "CompletingRebalance"
        log.info("group %s: generation %d, protocol %s, leader %s, %d "
                 "member(s)", g.group_id, g.generation, g.protocol, g.leader,
                 len(members))
        for m in members:
            resp = self.join_response(g, m)
            if m.member_id == g.leader:
                resp["members"] = [
                    {"member_id": x.member_id,
                     "group_instance_id": x.instance_id,
                     "metadata": dict(x.protocols)[g.protocol]}
                    for x in members]
            m.last_seen = mono()
            fut, m.join_fut = m.join_fut, None
            if fut is not None and not fut.done():
                fut.set_result(resp)

    def remove_member(self, g, m, rebalance=True):
        g.members.pop(m.member_id, None)
        for fut in (m.join_fut, m.sync_fut):
            if fut is not None and not fut.done():
                fut.set_result(ERR.UNKNOWN_MEMBER_ID)
        m.join_fut = m.sync_fut = None
        if not rebalance:
            return
        if g.state in ("Stable", "CompletingRebalance"):
            if g.members:
                self.prepare_rebalance(g, "member %s left" % m.member_id)
            else:
                g.generation += 1
                g.state = "Empty"
                g.protocol = g.leader = g.protocol_type = None
                log.info("group %s: empty (generation %d)", g.group_id,
                         g.generation)
        elif g.state == "PreparingRebalance":
            if g.members:
                self.maybe_complete_join(g)
            else:
                self.complete_join(g)

    async def h_join_group(self, req, ctx):
        conn, client_id, version = ctx
        gid = req["group_id"]
        if not gid:
            return self.join_response(Group(gid), None, ERR.INVALID_GROUP_ID)
        g = self.groups.get(gid)
        if g is None:
            g = self.groups[gid] = Group(gid)
        session = req["session_timeout_ms"]
        rebalance = req["rebalance_timeout_ms"]
        if rebalance < 0:
            rebalance = session
        protocols = [(p["name"], bytes(p["metadata"]))
                     for p in req["protocols"]]
        if session < 1 or session > 3600000:
            return self.join_response(g, None, ERR.INVALID_SESSION_TIMEOUT)
        if not req["protocol_type"] or not protocols or (
                g.members and g.protocol_type != req["protocol_type"]):
            return self.join_response(g, None,
                                      ERR.INCONSISTENT_GROUP_PROTOCOL)
        mid = req["member_id"]
        if mid:
            m = g.members.get(mid)
            if m is None:
                resp = self.join_response(g, None, ERR.UNKNOWN_MEMBER_ID)
                resp["member_id"] = mid
                return resp
        else:
            m = None
        names = set(n for n, _ in protocols)
        for other in g.members.values():
            if other is not m:
                names &= set(n for n, _ in other.protocols)
        if not names:
            return self.join_response(g, m, ERR.INCONSISTENT_GROUP_PROTOCOL)
        if m is None:
            mid = "%s-%s" % (client_id or "member", uuid.uuid4())
            m = Member(mid, client_id, session, rebalance)
            g.members[mid] = m
            log.info("group %s: new member %s", gid, mid)
        m.instance_id = req["group_instance_id"]
        m.session_ms = session
        m.rebalance_ms = rebalance
        m.protocols = protocols
        m.last_seen = mono()
        g.protocol_type = req["protocol_type"]
        loop = asyncio.get_running_loop()
        if m.join_fut is not None and not m.join_fut.done():
            m.join_fut.set_result(ERR.REBALANCE_IN_PROGRESS)
        fut = m.join_fut = loop.create_future()
        if g.state in ("Empty", "Stable", "CompletingRebalance"):
            self.prepare_rebalance(g, "member %s joined" % mid)
        self.maybe_complete_join(g)
        res = await fut
        if isinstance(res, int):
            return self.join_response(g, m, res)
        return res

    async def h_sync_group(self, req, ctx):
        g = self.groups.get(req["group_id"])
        mid = req["member_id"]
        err = self.validate_member(g, mid, req["generation_id"])
        resp = {"throttle_time_ms": 0, "error_code": err, "assignment": b""}
        if err:
            return resp
        if g.state == "PreparingRebalance":
            resp["error_code"] = ERR.REBALANCE_IN_PROGRESS
            return resp
        m = g.members[mid]
        m.last_seen = mono()
        if g.state == "Stable":
            resp["assignment"] = m.assignment
            return resp
        # CompletingRebalance
        fut = m.sync_fut = asyncio.get_running_loop().create_future()
        if mid == g.leader:
            amap = {a["member_id"]: bytes(a["assignment"])
                    for a in req["assignments"]}
            for x in g.members.values():
                x.assignment = amap.get(x.member_id, b"")
            g.state = "Stable"
            log.info("group %s: stable at generation %d", g.group_id,
                     g.generation)
            for x in g.members.values():
                if x.sync_fut is not None and not x.sync_fut.done():
                    x.sync_fut.set_result(ERR.NONE)
                x.sync_fut = None
        res = await fut
        resp["error_code"] = res
        if res == ERR.NONE:
            resp["assignment"] = m.assignment
        return resp

    async def h_heartbeat(self, req, ctx):
        g = self.groups.get(req["group_id"])
        err = self.validate_member(g, req["member_id"], req["generation_id"])
        if err == ERR.NONE:
            g.members[req["member_id"]].last_seen = mono()
            if g.state == "PreparingRebalance":
                err = ERR.REBALANCE_IN_PROGRESS
        elif err == ERR.ILLEGAL_GENERATION and \
                g.state == "PreparingRebalance":
            g.members[req["member_id"]].last_seen = mono()
            err = ERR.REBALANCE_IN_PROGRESS
        return {"throttle_time_ms": 0, "error_code": err}

    async def h_leave_group(self, req, ctx):
        g = self.groups.get(req["group_id"])
        m = g.members.get(req["member_id"]) if g else None
        if m is None:
            return {"throttle_time_ms": 0,
                    "error_code": ERR.UNKNOWN_MEMBER_ID}
        log.info("group %s: member %s leaves", g.group_id, m.member_id)
        self.remove_member(g, m)
        return {"throttle_time_ms": 0, "error_code": 0}

    # -- Offsets ------------------------------------------------------------------
    async def h_offset_commit(self, req, ctx):
        version = ctx[2]
        gid = req["group_id"]
        g = self.groups.get(gid)
        gen, mid = req["generation_id"], req["member_id"]
        err = ERR.NONE
        if not gid:
            err = ERR.INVALID_GROUP_ID
        elif version == 0 or (gen < 0 and not mid):
            if g is not None and g.state != "Empty":
                err = ERR.ILLEGAL_GENERATION
        else:
            err = self.validate_member(g, mid, gen)
            if err == ERR.NONE and g.state == "CompletingRebalance":
                err = ERR.REBALANCE_IN_PROGRESS
            if err == ERR.NONE:
                g.members[mid].last_seen = mono()
        if err == ERR.NONE:
            if g is None:
                g = self.groups[gid] = Group(gid)
            for tp in req["topics"]:
                for p in tp["partitions"]:
                    g.offsets[(tp["name"], p["partition_index"])] = (
                        p["committed_offset"], p["committed_leader_epoch"],
                        p["committed_metadata"])
        return {"throttle_time_ms": 0, "topics": [
            {"name": tp["name"], "partitions": [
                {"partition_index": p["partition_index"], "error_code": err}
                for p in tp["partitions"]]} for tp in req["topics"]]}

    async def h_offset_fetch(self, req, ctx):
        g = self.groups.get(req["group_id"])
        offsets = g.offsets if g else {}
        unstable = set()
        if g is not None and req["require_stable"]:
            for pending in g.pending_txn.values():
                unstable.update(pending)
        if req["topics"] is None:
            by_topic = collections.defaultdict(list)
            for (t, p) in sorted(offsets):
                by_topic[t].append(p)
            wanted = list(by_topic.items())
        else:
            wanted = [(t["name"], t["partition_indexes"])
                      for t in req["topics"]]
        topics = []
        for name, parts in wanted:
            out = []
            for p in parts:
                off, ep, meta = offsets.get((name, p), (-1, -1, ""))
                err = ERR.NONE
                if (name, p) in unstable:
                    err = ERR.UNSTABLE_OFFSET_COMMIT
                    off, ep, meta = -1, -1, ""
                out.append({"partition_index": p, "committed_offset": off,
                            "committed_leader_epoch": ep, "metadata": meta,
                            "error_code": err})
            topics.append({"name": name, "partitions": out})
        return {"throttle_time_ms": 0, "topics": topics, "error_code": 0}

    # -- background ----------------------------------------------------------------
    async def sweeper(self):
        """Transaction timeouts and group session timeouts."""
        while True:
            await asyncio.sleep(0.05)
            try:
                self.sweep()
            except Exception:
                log.exception("sweeper failed")

    def sweep(self):
        t_now = mono()
        for t in list(self.txns.values()):
            if t.state == "Ongoing" and t.start is not None and \
                    (t_now - t.start) * 1000 > t.timeout_ms:
                log.info("txn %s pid=%d epoch=%d: timed out after %d ms, "
                         "aborting", t.txn_id, t.pid, t.epoch, t.timeout_ms)
                self.stats["txn_timeout"] += 1
                self.bump_epoch(t, "transaction timeout")
                t.last_epoch = -1
        for g in list(self.groups.values()):
            for m in list(g.members.values()):
                if m.joining() and g.state == "PreparingRebalance":
                    continue
                if m.sync_fut is not None and not m.sync_fut.done():
                    continue
                if (t_now - m.last_seen) * 1000 > m.session_ms:
                    log.info("group %s: member %s session timed out",
                             g.group_id, m.member_id)
                    self.remove_member(g, m)

    # -- admin interface -----------------------------------------------------------
    async def serve_admin(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                words = line.decode("utf-8", "replace").split()
                if not words:
                    continue
                reply = await self.admin_command_safe(words)
                writer.write((reply + "\n").encode())
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def start_stdin_reader(self, loop):
        """--stdin: admin commands on stdin, answers on stdout, exit at EOF."""
        def reader():
            for raw in sys.stdin:
                words = raw.split()
                if not words:
                    continue
                fut = asyncio.run_coroutine_threadsafe(
                    self.admin_command_safe(words), loop)
                try:
                    reply = fut.result()
                except Exception as e:  # loop shutting down
                    reply = "error %s" % e
                sys.stdout.write(reply + "\n")
                sys.stdout.flush()
            log.info("stdin closed: shutting down")
            loop.call_soon_threadsafe(self.stopping.set)

        threading.Thread(target=reader, daemon=True).start()

    async def admin_command_safe(self, words):
        try:
            return await self.admin_command(words)
        except Exception as e:
            return "error %s" % e

    async def admin_command(self, words):
        cmd, rest = words[0].lower(), words[1:]
        log.info("admin: %s", " ".join(words))
        if cmd == "stop":
            await self.stop_listener()
            return "ok"
        if cmd == "start":
            if self.server is None:
                await self.start_listener()
            return "ok"
        if cmd == "drop":
            self.drop_connections()
            return "ok"
        if cmd == "ping":
            return "ok"
        if cmd == "create":
            name = rest[0]
            n = int(rest[1]) if len(rest) > 1 else self.default_partitions
            if name in self.topics:
                return "error topic exists"
            if not self.valid_topic_name(name) or n <= 0:
                return "error invalid topic"
            self.create_topic(name, n)
            return "ok"
        if cmd == "offsets":
            part = self.partition(rest[0], int(rest[1]))
            if part is None:
                return "error unknown partition"
            return "ok log_start=%d lso=%d hwm=%d" % (part.log_start,
                                                      part.lso, part.hwm)
        if cmd == "txn":
            t = self.txns.get(rest[0])
            if t is None:
                return "error unknown transactional id"
            return "ok pid=%d epoch=%d state=%s partitions=%d" % (
                t.pid, t.epoch, t.state, len(t.partitions))
        if cmd == "stats":
            st = collections.Counter(self.stats)
            st["duplicates"] = sum(p.duplicates for t in self.topics.values()
                                   for p in t.partitions)
            st["connections"] = len(self.conns)
            return "ok " + " ".join("%s=%d" % kv for kv in sorted(st.items()))
        if cmd == "lose-produce-responses":
            self.lose_produce_responses = int(rest[0])
            return "ok"
        return "error unknown command %s" % cmd


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--admin-port", type=int, default=0)
    ap.add_argument("--partitions", type=int, default=1,
                    help="partition count of auto-created topics")
    ap.add_argument("--transaction-timeout-ms", type=int, default=900000,
                    help="cap on the producers' transaction.timeout.ms "
                         "(transaction.max.timeout.ms)")
    ap.add_argument("--initial-rebalance-delay-ms", type=int, default=0)
    ap.add_argument("--stdin", action="store_true",
                    help="also read admin commands from stdin (answers on "
                         "stdout); exit when stdin closes")
    ap.add_argument("--verbose", action="store_true",
                    help="debug logging: one line per request")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s.%(msecs)03d kafka_broker %(levelname)s "
               "%(message)s", datefmt="%H:%M:%S")
    broker = Broker(args)
    try:
        asyncio.run(broker.run())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
