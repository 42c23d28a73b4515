# target: stdin
# attack: busy infinite loop
while True:
    pass
