# target: stdin
# attack: write files outside the work dir, including a marker the host test looks for
for path in ["/tmp/rest_em_hostile_marker", "/etc/rest_em_hostile_marker", "/rest_em_hostile_marker",
             "/usr/lib/python3/rest_em_hostile_marker", "/root/rest_em_hostile_marker", "../rest_em_hostile_marker",
             "/var/tmp/rest_em_hostile_marker"]:
    try:
        with open(path, "w") as handle:
            handle.write("owned")
        print("wrote", path)
    except OSError as exc:
        print(path, exc)
