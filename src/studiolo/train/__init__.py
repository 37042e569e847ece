"""Trainers that learn from a person's own pictures: LoRA (`lora.py`) and a small
personal generator (`generator.py`). Every one reads its images through
`data.load_training_folder`, which applies the consent checks."""
