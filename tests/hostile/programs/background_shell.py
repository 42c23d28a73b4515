# target: stdin
# attack: leave a shell pipeline running in the background via subprocess
import subprocess
subprocess.Popen(["sh", "-c", "while true; do sleep 1; done"], start_new_session=True)
subprocess.Popen("nohup sleep 1000 >/dev/null 2>&1 &", shell=True)
print("started")
