import pickle

import pytest

from integration_verifiers import Sleepy
from rest_verify.errors import InvalidRecordError
from rest_verify.integrations.trl import reward_func


@pytest.fixture
def exact_reward():
    reward = reward_func("exact", workers=1, timeout=5)
    yield reward
    reward.close()


def test_signature_name_and_auto_reference_column(exact_reward):
    assert exact_reward.__name__ == "exact"
    rewards = exact_reward(prompts=["1+1=", "2+2=", "3+3="], completions=["2", "work\n5", "6"],
                           completion_ids=[[1], [2], [3]], answer=["2", "4", "6"], trainer_state=None)
    assert rewards == [1.0, 0.0, 1.0]


def test_conversational_completions_use_the_last_assistant_message(exact_reward):
    prompts = [[{"role": "user", "content": "Capital of France?"}]] * 2
    completions = [[{"role": "assistant", "content": "It is\nParis"}], [{"role": "assistant", "content": "Rome"}]]
    assert exact_reward(prompts, completions, reference=["Paris", "Paris"]) == [1.0, 0.0]


def test_reference_column_order_and_explicit_choice():
    auto = reward_func("exact", workers=0)
    # "reference" wins over "answer" and "solution" when several columns exist.
    assert auto(["p"], ["a"], reference=["a"], answer=["b"], solution=["c"]) == [1.0]
    explicit = reward_func("exact", workers=0, reference_column="solution")
    assert explicit(["p"], ["c"], reference=["a"], solution=["c"]) == [1.0]
    with pytest.raises(InvalidRecordError, match="needs the dataset column 'solution'.*'answer'"):
        explicit(["p"], ["c"], answer=["c"], trainer_state=None)
    with pytest.raises(InvalidRecordError, match="no reference column.*'question'"):
        auto(["p"], ["c"], question=["q"], log_metric=print)


def test_bad_items_and_deadlines_score_zero_and_are_logged_as_metrics():
    reward = reward_func(Sleepy(), workers=1, timeout=0.5)
    logged = {}
    try:
        rewards = reward(["p"] * 4, ["ok", "sleep:30", "raise", None], reference=["ok", "x", "x", "x"],
                         log_metric=logged.__setitem__)
    finally:
        reward.close()
    assert rewards == [1.0, 0.0, 0.0, 0.0]
    assert logged == {"sleepy/no_answer": 0.0, "sleepy/error": 0.25, "sleepy/timeout": 0.25,
                      "sleepy/invalid_input": 0.25}


def test_one_pool_for_the_reward_functions_life(exact_reward):
    exact_reward(["p"], ["1"], answer=["1"])
    grader = exact_reward.scorer._grader
    pids = [w.process.pid for w in grader._pool]
    exact_reward(["p"] * 3, ["1", "2", "3"], answer=["1", "1", "3"])
    assert exact_reward.scorer._grader is grader and [w.process.pid for w in grader._pool] == pids
    assert exact_reward.scorer.counts == {"correct": 3, "wrong": 1}


def test_reward_function_pickles_without_its_workers(exact_reward):
    exact_reward(["p"], ["1"], answer=["1"])
    clone = pickle.loads(pickle.dumps(exact_reward))
    try:
        assert clone.__name__ == "exact" and clone(["p"], ["1"], answer=["1"]) == [1.0]
    finally:
        clone.close()


@pytest.mark.slow
def test_grpo_trainer_runs_a_step_with_the_verifier_reward(tmp_path):
    trl = pytest.importorskip("trl")
    from datasets import Dataset
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
    import torch

    vocab = {token: i for i, token in enumerate(["<pad>", "<eos>", "<unk>", *"0123456789+= "])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Split("", "isolated")  # one token per character
    backend.decoder = decoders.Fuse()  # and no spaces between them when decoding
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="<eos>",
                                        unk_token="<unk>")
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_positions=32, n_embd=16, n_layer=1, n_head=2,
                                       tie_word_embeddings=False, pad_token_id=0, eos_token_id=1, bos_token_id=1))
    with torch.no_grad():  # make the model say "7" after anything, so the reward is known in advance
        model.transformer.ln_f.weight.zero_()
        model.transformer.ln_f.bias.zero_()
        model.transformer.ln_f.bias[0] = 1.0
        model.lm_head.weight.zero_()
        model.lm_head.weight[vocab["7"], 0] = 30.0
    dataset = Dataset.from_dict({"prompt": ["1+2=", "3+4=", "2+2=", "5+1="], "answer": ["777", "777", "777", "9"]})
    reward = reward_func("exact", workers=1, timeout=5)
    args = trl.GRPOConfig(output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=2,
                          max_completion_length=3, max_steps=1, report_to=[], use_cpu=True, logging_steps=1,
                          save_strategy="no", seed=0)
    try:
        trainer = trl.GRPOTrainer(model=model, reward_funcs=[reward], args=args, train_dataset=dataset,
                                  processing_class=tokenizer)
        trainer.train()
    finally:
        reward.close()
    logs = trainer.state.log_history[0]
    graded = sum(reward.scorer.counts.values())
    assert graded == 4 and set(reward.scorer.counts) <= {"correct", "wrong"}
    assert logs["rewards/exact/mean"] == pytest.approx(reward.scorer.counts["correct"] / graded)
    assert reward.scorer.counts["correct"] >= 2  # at least one of the two sampled prompts expects "777"
    assert logs["exact/timeout"] == 0.0 and logs["exact/error"] == 0.0


def test_math_answers_against_the_math_datasets_solution_column():
    pytest.importorskip("rest_em_math", reason="the point is grading MATH answers")
    reward = reward_func("math", workers=1, timeout=10)
    solution = "Adding, $\\frac12 + \\frac14 = \\boxed{\\frac{3}{4}}$."  # MATH's worked solution, boxed answer
    completions = [[{"role": "assistant", "content": "So the sum is $\\boxed{0.75}$."}],
                   [{"role": "assistant", "content": "I think it is $\\boxed{\\frac{2}{3}}$."}]]
    try:
        rewards = reward([[{"role": "user", "content": "1/2 + 1/4?"}]] * 2, completions, solution=[solution] * 2,
                         problem=["1/2 + 1/4?"] * 2)
    finally:
        reward.close()
    assert rewards == [1.0, 0.0]
