"""Adapters that put rest-em verifiers behind the reward interfaces trainers already call.

`trl` (GRPOTrainer reward functions), `verl` (custom `compute_score`), `openrlhf` (custom
`reward_func` file), `server` (OpenRLHF's remote reward-model HTTP protocol, `rest-em serve`) and
`lm_eval` (`process_results` for lm-evaluation-harness tasks). Each module imports its framework only
when used, so `import rest_verify` stays free of torch, trl, fastapi and friends.
"""
