# Recall in a container: Debian (bookworm) with Node.js 20, run as the non-root user `recall`.
#   docker build -t recall .
#   docker run -d --name recall --network host -v recall-config:/etc/recall -v recall-data:/var/lib/recall recall
#   docker exec -it recall recall cli
# /etc/recall starts as a copy of the sample configuration (SIP bound to 0.0.0.0:5060);
# /var/lib/recall holds the event log, CDR/CEL and the log files (logger.conf's astlogdir).

FROM node:20-bookworm-slim AS build
# cc builds the QoS helper (tos_audio/cos_audio); python3 and make are what node-gyp may want.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev make python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY package.json package-lock.json ./
# Dependencies first (a layer that survives source changes); `prepare` builds later, with the sources.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && sed -i 's/^bind = 127\.0\.0\.1:5060/bind = 0.0.0.0:5060/' infra/sample-config/pjsip.conf

FROM node:20-bookworm-slim
# The prompts Playback and friends use (/usr/share/asterisk/sounds/en).
RUN apt-get update \
 && apt-get install -y --no-install-recommends asterisk-core-sounds-en-wav \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --user-group --home-dir /var/lib/recall --shell /usr/sbin/nologin recall \
 && mkdir -p /etc/recall /var/lib/recall
COPY --from=build /build/package.json /build/package-lock.json /opt/recall/
COPY --from=build /build/node_modules /opt/recall/node_modules
COPY --from=build /build/dist /opt/recall/dist
COPY --from=build /build/bin /opt/recall/bin
COPY --from=build /build/infra /opt/recall/infra
COPY --from=build /build/infra/sample-config/ /etc/recall/
RUN ln -s /opt/recall/bin/recall.js /usr/local/bin/recall \
 && chown -R recall:recall /etc/recall /var/lib/recall
USER recall
WORKDIR /var/lib/recall
ENV RECALL_DATA=/var/lib/recall NODE_ENV=production
VOLUME ["/etc/recall", "/var/lib/recall"]
EXPOSE 5060/udp 5060/tcp 10000-20000/udp
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=16", "--initial-old-space-size=128", "/opt/recall/bin/recall.js", "start", "--config", "/etc/recall", "--data", "/var/lib/recall"]
