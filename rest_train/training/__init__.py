"""The M-step: fine-tuning on kept samples, and training the reward models ReST scores with."""
