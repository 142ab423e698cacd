# A bounded fork loop for lab 08: 200 forks at most, each child sleeps 2 s.
# Prints how many forks worked and how many the kernel refused (EAGAIN).
import os, time
made, refused = [], 0
for i in range(200):
    try:
        pid = os.fork()
    except OSError:
        refused += 1
        continue
    if pid == 0:
        time.sleep(2)
        os._exit(0)
    made.append(pid)
print("forked", len(made), "refused", refused, flush=True)
for pid in made:
    os.waitpid(pid, 0)
