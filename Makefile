# berth: build, test and demo. Every target does its own set-up on a fresh Debian 12 machine (as root).
SHELL := /bin/bash
NODE_BIN := node_modules/.bin

# Debian packages the project needs: build, tests (peers we check against), benches.
DEB_PACKAGES := busybox-static runc crun podman containerd skopeo docker-registry \
	containernetworking-plugins iptables uidmap hyperfine libseccomp-dev seccomp strace \
	iproute2 procps util-linux attr apache2-utils buildah umoci tini docker-compose openssl

.PHONY: all deps apt-deps npm-deps build ts native bundle fixtures default-image test demo bench clean

all: build

deps: apt-deps npm-deps

apt-deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

npm-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

build: deps native ts bundle fixtures default-image

native:
	$(MAKE) -C native

ts:
	$(NODE_BIN)/tsc -p tsconfig.json

bundle:
	node scripts/bundle.mjs

fixtures: native
	bash test/fixtures/make-busybox-rootfs.sh

# The default image (dist/images/busybox.tar), loaded by berth on first use: no internet needed.
default-image: ts fixtures
	node scripts/make-default-image.mjs

test: build
	bash scripts/run-tests.sh

demo: build
	bash scripts/demo.sh

bench: build
	bash bench/run-all.sh

clean:
	rm -rf build dist test/fixtures/out
	$(MAKE) -C native clean
