"""Tiny models built from a config: causal LMs (Llama, Qwen2) with a small trained BPE tokenizer, and
a BERT sentence embedder with MiniLM's tokenizer. Every model code path runs on them in seconds."""
from rag.llm.prompt import INSTRUCTION

CHAT = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}</s>{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}")


def tiny_tokenizer(chat: bool):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = ["shop/cart.py shop/catalog.py shop/checkout.py shop/payment/gateway.py none",
              INSTRUCTION, "Request Modules Answer with one module ID add a product to the cart"] * 20
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<unk>", "<pad>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", pad_token="<pad>", unk_token="<unk>")
    if chat:
        fast.chat_template = CHAT
    return fast


def save_tiny_model(path, architecture: str, chat: bool = True, tie_embeddings: bool = False):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    tokenizer = tiny_tokenizer(chat)
    common = dict(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
                  eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                  tie_word_embeddings=tie_embeddings)
    torch.manual_seed(0)
    if architecture == "llama":
        model = LlamaForCausalLM(LlamaConfig(**common))
    else:
        model = Qwen2ForCausalLM(Qwen2Config(**common))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


def save_tiny_embedder(base, out) -> str:
    """A tiny BERT sentence-transformers model (mean pooling, normalised) in `out`; `base` is scratch."""
    import os
    import shutil

    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from transformers import BertConfig, BertModel

    from rag.embedding.embedder import embedder_path

    minilm = embedder_path("all-MiniLM-L6-v2")
    os.makedirs(base, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(os.path.join(minilm, name), os.path.join(base, name))
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(base)
    word = models.Transformer(str(base), max_seq_length=64)
    model = SentenceTransformer(modules=[word, models.Pooling(32, pooling_mode="mean"), models.Normalize()])
    model.save(str(out))
    return str(out)
