"""The one Redis listener per process that wakes waiting long-polls (coo.services.printwake),
against a real redis-server of its own that is restarted in the middle."""
import shutil
import subprocess

import pytest
from redis import Redis

from coo.services import printwake

from control_support import free_port, wait_for


class OwnRedis:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port),
                                      "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        client = Redis.from_url(self.url)
        wait_for("redis to answer", lambda: _pings(client), timeout=30)
        client.close()
        return self

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _pings(client):
    try:
        return client.ping()
    except Exception:
        return False


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path).start()
    yield server
    if server.proc.poll() is None:
        server.stop()


def test_a_job_wakes_only_its_enterprises_waiters_and_survives_a_redis_restart(own_redis):
    waker = printwake.Waker(own_redis.url)
    mine, theirs = waker.register(7), waker.register(8)
    wait_for("the listener to subscribe", waker.connected.is_set)
    mine.clear()                        # the wake-up of every waiter on (re)subscribe
    theirs.clear()
    client = Redis.from_url(own_redis.url)
    printwake.notify(client, 7)
    assert mine.wait(30) and not theirs.is_set()
    assert waker.waiting() == 2

    # Redis goes away: a job queued now cannot be announced; notify says so but does not fail.
    own_redis.stop()
    wait_for("the listener to notice", lambda: not waker.connected.is_set())
    printwake.notify(client, 8)
    assert theirs.wait(30)              # waiters look at the database again when the link drops
    theirs.clear()
    mine.clear()

    # Back on the same port: the listener subscribes again and wakes everyone to look.
    own_redis.start()
    wait_for("the listener to subscribe again", waker.connected.is_set)
    assert mine.wait(30) and theirs.wait(30)
    mine.clear()
    theirs.clear()
    printwake.notify(Redis.from_url(own_redis.url), 8)
    assert theirs.wait(30) and not mine.is_set()
    waker.unregister(7, mine)
    waker.unregister(8, theirs)
    assert waker.waiting() == 0
    client.close()
