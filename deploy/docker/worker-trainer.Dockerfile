# GPU worker that also trains LoRAs with kohya-ss sd-scripts (TRAINER_ENGINE=kohya).
# Build after the worker image:  docker build -f deploy/docker/worker.Dockerfile -t atelier-worker .
#                                docker build -f deploy/docker/worker-trainer.Dockerfile -t atelier-worker-trainer .
ARG WORKER_IMAGE=atelier-worker
ARG SD_SCRIPTS_REF=v0.9.1
FROM ${WORKER_IMAGE}
USER root
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv python3-pip git \
  && rm -rf /var/lib/apt/lists/*
ARG SD_SCRIPTS_REF
# sd-scripts and its PyTorch stack live in their own venv; the worker only runs train_network.py.
RUN python3 -m venv /opt/kohya \
  && git clone --depth 1 --branch ${SD_SCRIPTS_REF} https://github.com/kohya-ss/sd-scripts /opt/sd-scripts \
  && /opt/kohya/bin/pip install --no-cache-dir torch torchvision --index-url https://download.pytorch.org/whl/cu128 \
  && /opt/kohya/bin/pip install --no-cache-dir -r /opt/sd-scripts/requirements.txt xformers
ENV TRAINER_ENGINE=kohya \
    WORKER_TRAINS=true \
    KOHYA_TRAIN_NETWORK=/opt/sd-scripts/train_network.py \
    KOHYA_PYTHON=/opt/kohya/bin/python
USER 10001
