"""ReST / ReST-EM training loop: generate, grade (through rest_verify), filter, improve, evaluate."""
