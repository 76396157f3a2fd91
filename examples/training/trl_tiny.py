"""The TRL set-up of docs/training.md, run on a CPU with a tiny random model made here.

No GPU and no model hub are needed: a byte-level tokenizer is trained on a
source file and a two-layer GPT-2 with random weights is saved to ``tiny/``;
then ``GRPOTrainer`` trains it for two steps with ``TRLReward`` as the reward.
A random model writes no code, so every reward is 0.0 (status ``no_code``):
what this checks is the wiring (TRL calls the reward with the prompts, the
completions and the ``task`` column, and logs ``rewards/fuzzdiff/mean`` and
``fuzzdiff/seconds``), not the scores, which docs/training.md's reward check
covers. Needs ``torch`` and ``trl`` (not in fuzzdiff's extras):

    python3 -m venv --system-site-packages /tmp/trlvenv
    /tmp/trlvenv/bin/pip install torch trl      # a CPU build of torch is enough
    cd "$(mktemp -d)" && /tmp/trlvenv/bin/python /path/to/examples/training/trl_tiny.py
"""

from __future__ import annotations

import json
from pathlib import Path

from datasets import Dataset
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from trl import GRPOConfig, GRPOTrainer

from fuzzdiff.oracle.adapters import TRLReward

SOURCE = Path(__file__).resolve().parent.parent / "base64" / "good.py"


def make_tiny(where: str) -> None:
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    lines = SOURCE.read_text().splitlines() * 20
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>", "<pad>", "<eos>"]))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>", bos_token="<eos>"
    )
    fast.save_pretrained(where)
    config = GPT2Config(
        vocab_size=len(fast),
        n_positions=256,
        n_embd=32,
        n_layer=2,
        n_head=2,
        pad_token_id=fast.pad_token_id,
        eos_token_id=fast.eos_token_id,
        bos_token_id=fast.bos_token_id,
    )
    GPT2LMHeadModel(config).save_pretrained(where)


def main() -> None:
    make_tiny("tiny")
    # From here on as in docs/training.md, but for the model and the CPU settings.
    settings = json.dumps({"task": "base64", "budget": 300, "deadline": 120})
    data = Dataset.from_list(
        [{"prompt": "Write GNU base64 in Python. Reply with one ```python block.", "task": settings}] * 64
    )
    reward = TRLReward(on_error="raise")
    trainer = GRPOTrainer(
        model="tiny",  # docs/training.md: "Qwen/Qwen2.5-0.5B-Instruct"
        reward_funcs=[reward],
        args=GRPOConfig(
            output_dir="grpo-base64",
            num_generations=8,
            # two short steps on a CPU (not in docs/training.md):
            max_steps=2,
            per_device_train_batch_size=8,
            max_completion_length=24,
            logging_steps=1,
            report_to="none",
            use_cpu=True,
            bf16=False,
        ),
        train_dataset=data,
    )
    trainer.train()
    logged = [{k: v for k, v in e.items() if "fuzzdiff" in k} for e in trainer.state.log_history]
    print(json.dumps([entry for entry in logged if entry]))
    reward.close()


if __name__ == "__main__":
    main()
