# syntax=docker/dockerfile:1
#
# The opaygate image: one static binary on distroless, run as a non-root user,
# with its SQLite file in the /data volume. docs/DEPLOYMENT.md#containers
#
#   docker build -t opaygate --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg COMMIT="$(git rev-parse HEAD)" .
#   docker run --rm -p 8080:8080 -v opaygate-data:/data opaygate              # a sandbox
#   docker run --rm -v opaygate-data:/data opaygate merchant list             # any command
#
# CI runs the same `go build` (CGO_ENABLED=0, -trimpath, version stamped) in .ci/run.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG COMMIT=unknown
# The SQLite driver (modernc.org/sqlite) is pure Go: with CGO_ENABLED=0 the
# binary needs no libc and runs on an image without one. The .git directory is
# not sent to the build (.dockerignore), so the commit comes from COMMIT.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
        -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
        -o /out/opaygate ./cmd/opaygate \
    && /out/opaygate version \
    && mkdir -p /out/data

# distroless/static has CA certificates, tzdata and a nonroot user (65532) and
# no shell: the health check is the binary's own `opaygate healthcheck`.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/opaygate /usr/local/bin/opaygate
# A named volume mounted at /data starts as a copy of this directory, so the
# nonroot user owns it and can create the database there.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV OPAYGATE_ADDR=0.0.0.0:8080 \
    OPAYGATE_DB=/data/opaygate.db
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/opaygate", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/opaygate"]
CMD ["serve"]
