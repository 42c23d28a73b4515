# target: stdin
# attack: try to become root, mount, chroot and load kernel interfaces
import ctypes
import os
for attempt in (lambda: os.setuid(0), lambda: os.setgid(0), lambda: os.chroot("/"),
                lambda: os.mknod("/work/kmem"), lambda: open("/dev/kmsg", "w").write("x"),
                lambda: open("/proc/sysrq-trigger", "w").write("b")):
    try:
        attempt()
        print("succeeded", attempt)
    except OSError as exc:
        print(exc)
libc = ctypes.CDLL(None, use_errno=True)
print(libc.mount(b"none", b"/mnt", b"tmpfs", 0, None), ctypes.get_errno())
print(libc.unshare(0x10000000), ctypes.get_errno())
