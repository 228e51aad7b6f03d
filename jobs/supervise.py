"""`python -m jobs.supervise CMD...`: run a long-lived process (the RQ worker, the cron
scheduler) and start it again when it ends by itself, until we are told to stop.

RQ's worker quits when Redis goes away at the wrong moment (in the middle of a job, between
two steps), and honcho (`make run`) stops every process when one ends. Under this wrapper a Redis
restart costs a few seconds instead of the whole app. Production may run it under systemd or
Kubernetes as well: a second supervisor does no harm.

SIGTERM and SIGINT are passed on to the child; then the wrapper waits for it and exits with its
code. A child that keeps dying is started again after 1, 2, 4 ... 30 seconds; one that ran for a
minute starts the count again.
"""
import signal
import subprocess
import sys
import time

MAX_DELAY_S = 30
HEALTHY_AFTER_S = 60


class Supervisor:
    def __init__(self, command):
        self.command = command
        self.child = None
        self.stopping = False

    def _forward(self, signum, frame):
        self.stopping = True
        if self.child and self.child.poll() is None:
            self.child.send_signal(signum)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._forward)
        signal.signal(signal.SIGINT, self._forward)
        delay = 1
        code = 0
        while not self.stopping:
            started = time.monotonic()
            # A session of its own: a Ctrl-C in the terminal reaches the child once, through us
            # (twice would be RQ's cold shutdown, killing the job in hand).
            self.child = subprocess.Popen(self.command, start_new_session=True)
            if self.stopping:                 # told to stop while it was starting
                self.child.send_signal(signal.SIGTERM)
            code = self.child.wait()
            if self.stopping:
                return code
            if time.monotonic() - started >= HEALTHY_AFTER_S:
                delay = 1
            print(f"coo supervise: {self.command[0]} ended with code {code}; starting it again in {delay} s",
                  file=sys.stderr, flush=True)
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline and not self.stopping:
                time.sleep(0.2)
            if self.stopping:
                return code
            delay = min(delay * 2, MAX_DELAY_S)
        return code


def main(argv=None) -> int:
    command = (argv if argv is not None else sys.argv[1:])
    if not command:
        print("usage: python -m jobs.supervise COMMAND [ARGS...]", file=sys.stderr)
        return 2
    return Supervisor(command).run()


if __name__ == "__main__":
    sys.exit(main())
