"""CPU use per thread of a process and its children over an interval (bench/gpu probes).
Usage: python3 thread_cpu.py PID SECONDS   -> the busiest threads, as % of one core, with their names."""
import os, sys, time

def children(pid):
    out = [pid]
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % p) as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except OSError:
            continue
        if ppid == pid:
            out += children(int(p))
    return out

def ticks(pids):
    t = {}
    for pid in pids:
        try:
            for tid in os.listdir('/proc/%d/task' % pid):
                with open('/proc/%d/task/%s/stat' % (pid, tid)) as f:
                    s = f.read()
                name = s[s.index('(') + 1:s.rindex(')')]
                fields = s.rsplit(')', 1)[1].split()
                t[(pid, int(tid), name)] = int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return t

pid, secs = int(sys.argv[1]), float(sys.argv[2])
pids = children(pid)
a = ticks(pids); time.sleep(secs); b = ticks(pids)
hz = os.sysconf('SC_CLK_TCK')
rows = sorted(((b[k] - a.get(k, 0)) * 100.0 / hz / secs, k) for k in b)
rows.reverse()
total = sum(r[0] for r in rows)
print('threads of %d processes: %.0f %% of one core in all; busiest:' % (len(pids), total))
for pct, (p, tid, name) in rows[:10]:
    if pct >= 1:
        print('  %5.1f %%  pid %d tid %d %s' % (pct, p, tid, name))
