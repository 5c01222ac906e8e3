# ibchannel: FastCGI programs, the command line, and their tests.

# The version is in one place, debian/changelog's newest entry: the
# package (make deb) and ibchannel --version say the same.
VERSION !=	sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog
PREFIX ?=	/usr/local
DESTDIR ?=
BINDIR =	$(PREFIX)/bin
LIBEXECDIR =	$(PREFIX)/lib/ibchannel
SHAREDIR =	$(PREFIX)/share/ibchannel
MANDIR =	$(PREFIX)/share/man
DOCDIR =	$(PREFIX)/share/doc/ibchannel
EXAMPLEDIR =	$(DOCDIR)/examples
EXAMPLES =	deploy/lighttpd.conf.in deploy/apache-ibchannel.conf deploy/ibchannel.cron \
		deploy/ibchannel-sender.service deploy/ibchannel-sender.timer \
		deploy/ibchannel-fcgi@.service deploy/logrotate.ibchannel deploy/rules-demo.txt \
		deploy/INSTALL.md

CC ?=		cc
# make V=1 shows the compiler command lines.
Q =		$(if $(V),,@)
PKGS =		fcgi libcurl json-c sqlite3 libcrypto
# libpq: its header only; db_pg.c loads the library at run time (dlopen).
CFLAGS_PKGS =	$(PKGS) libpq
WARN =		-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror
CFLAGS ?=	-O2 -g
# CPPFLAGS and LDFLAGS are empty unless given (dpkg-buildpackage gives
# Debian's hardening flags through them).
ALL_CFLAGS =	-std=c11 -pthread -D_DEFAULT_SOURCE -D_GNU_SOURCE -DIBCHANNEL_VERSION='"$(VERSION)"' \
		$(WARN) $(INC) -Ibuild $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags $(CFLAGS_PKGS) 2>/dev/null)
LDLIBS =	$(LDFLAGS) $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread
SAN =		-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

COMMON_SRC =	$(wildcard common/*/*.c)
COMMON_HDR =	$(wildcard common/*/*.h)
# Each layer is a folder of common/; the headers are included by name alone.
INC =		$(patsubst %/,-I%,$(sort $(dir $(COMMON_HDR))))
EMBED_SRC =	build/sqlembed.c build/pgembed.c
COMMON_OBJ =	$(COMMON_SRC:common/%.c=build/obj/%.o) build/obj/sqlembed.o build/obj/pgembed.o
PROGS =		build/inbound.fcgi build/reports.fcgi build/admin.fcgi build/ibchannel
UNIT_SRC =	$(wildcard tests/unit/test_*.c)
UNIT =		$(UNIT_SRC:tests/unit/%.c=build/unit/%)
UNIT_ASAN =	$(UNIT_SRC:tests/unit/%.c=build/asan/%)
ASAN_OBJ =	$(COMMON_SRC:common/%.c=build/asan/obj/%.o) build/asan/obj/sqlembed.o \
		build/asan/obj/pgembed.o

all: $(PROGS)

build/sqlembed.c: sql/embed.sh sql $(wildcard sql/*.sql)
	@mkdir -p build
	$(Q)sh sql/embed.sh sql > $@.tmp && mv $@.tmp $@

# PostgreSQL's schema and migrations: sql/pg/schema.sql is version 17.
build/pgembed.c: sql/embed.sh $(wildcard sql/pg sql/pg/*.sql)
	@mkdir -p build
	$(Q)sh sql/embed.sh sql/pg pgembed 17 > $@.tmp && mv $@.tmp $@

build/obj/sqlembed.o build/obj/pgembed.o: build/obj/%.o: build/%.c common/store/sqlembed.h
	@mkdir -p build/obj
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/obj/%.o: common/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The programs link the library as an archive, so that each takes only the
# modules it uses, and --as-needed drops the shared libraries it does not
# (the webhook programs need no libcurl): less memory per process.
build/libibchannel.a: $(COMMON_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $(COMMON_OBJ)

# admin.fcgi is several files: routing in admin.c, a handler file and a view
# file per page, and its style sheet and script built in.
ADMIN_SRC =	$(wildcard cgi/admin/admin_*.c)
build/admin_static.c: cgi/admin/static/embed.sh $(wildcard cgi/admin/static/*.css cgi/admin/static/*.js)
	@mkdir -p build
	$(Q)sh cgi/admin/static/embed.sh cgi/admin/static > $@.tmp && mv $@.tmp $@

build/admin.fcgi: cgi/admin/admin.c $(ADMIN_SRC) $(wildcard cgi/admin/*.h) build/admin_static.c build/libibchannel.a
	$(Q)$(CC) $(ALL_CFLAGS) -Icgi/admin -o $@ cgi/admin/admin.c $(ADMIN_SRC) build/admin_static.c build/libibchannel.a -Wl,--as-needed $(LDLIBS)

# inbound.fcgi too: routing, the webhook and /health in inbound.c, the
# send API in inbound_api.c, the public docs page in inbound_docs.c.
INBOUND_SRC =	$(wildcard cgi/inbound_*.c)
build/inbound.fcgi: cgi/inbound.c cgi/inbound.h $(INBOUND_SRC) build/libibchannel.a
	$(Q)$(CC) $(ALL_CFLAGS) -Icgi -o $@ cgi/inbound.c $(INBOUND_SRC) build/libibchannel.a -Wl,--as-needed $(LDLIBS)

build/%.fcgi: cgi/%.c build/libibchannel.a
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $< build/libibchannel.a -Wl,--as-needed $(LDLIBS)

# ibchannel is several files too: options, the command table and dispatch in
# ibchannel.c, the verbs that print in ibchannel_*.c.
IBCHANNEL_SRC =	$(wildcard cli/ibchannel_*.c)
build/ibchannel: cli/ibchannel.c cli/ibchannel.h $(IBCHANNEL_SRC) build/libibchannel.a
	$(Q)$(CC) $(ALL_CFLAGS) -Icli -o $@ cli/ibchannel.c $(IBCHANNEL_SRC) build/libibchannel.a -Wl,--as-needed $(LDLIBS)

build/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(COMMON_OBJ)
	@mkdir -p build/unit
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(COMMON_OBJ) $(LDLIBS)

build/asan/obj/sqlembed.o build/asan/obj/pgembed.o: build/asan/obj/%.o: build/%.c common/store/sqlembed.h
	@mkdir -p build/asan/obj
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/asan/obj/%.o: common/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/asan/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(ASAN_OBJ)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -Itests/unit -o $@ $< $(ASAN_OBJ) $(LDLIBS)

# Every statement of the store as PostgreSQL runs it, for
# tests/e2e/test_pg_statements.py (built with the unit tests).
build/pg_statements: tests/pg/pg_statements.c $(COMMON_OBJ)
	@mkdir -p build
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ tests/pg/pg_statements.c $(COMMON_OBJ) $(LDLIBS)

unit: $(UNIT) $(UNIT_ASAN) build/pg_statements

# Installs the Debian packages the build and tests need (as root), or says which.
deps:
	@sh deploy/deps.sh

# The README's test command: every suite, ending with "N passed, N failed".
# make test T=NAME runs only the suites whose name contains NAME
# (test_sender, or sender); the build is parallel on every core.
JOBS ?=		$(shell nproc 2>/dev/null || echo 2)
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all unit
	@sh tests/run.sh $(T)

# The README's run command: a local installation with the Infobip simulator.
run: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@sh deploy/run.sh

# Side by side in one run: the bare FastCGI ceiling, Kannel (the peer) and
# ibchannel, each row checking its own counts; see tests/bench.py.
bench: deps
	@sh tests/bench/deps.sh
	@$(MAKE) --no-print-directory all build/bench/bare.fcgi build/bench/standin
	@python3 tests/bench.py
	@python3 tests/bench_admin.py

# make bench-compare BASE=REV runs bench.py's rows for the programs of git
# revision REV (built in a temporary worktree) and for this tree, in turn in
# one run, and prints both figures and this/base per row; BENCH_ARGS passes
# options on as written (a $ in a pattern stays), e.g.
# BENCH_ARGS="--rows 'inbound_full$|sender' --seconds 3 --repeat 3".
bench-compare: deps
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<git revision> [BENCH_ARGS=...]" >&2; exit 2; }
	@sh tests/bench/deps.sh
	@$(MAKE) --no-print-directory all build/bench/bare.fcgi build/bench/standin
	@sh tests/bench/compare.sh $(BASE) $(value BENCH_ARGS)

build/bench/bare.fcgi: tests/bench/bare.c
	@mkdir -p build/bench
	$(Q)$(CC) $(ALL_CFLAGS) -pthread -o $@ tests/bench/bare.c $(shell pkg-config --libs fcgi)

build/bench/standin: tests/bench/standin.c
	@mkdir -p build/bench
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ tests/bench/standin.c $(shell pkg-config --libs json-c)

# Fuzzes every parser of network input with libFuzzer (clang) for
# FUZZ_SECONDS, seeded with the Infobip sample payloads in tests/data and
# a send request, a form, an upload and a CSV file in tests/fuzz/seeds.
FUZZ_SECONDS ?=	120
fuzz: build/sqlembed.c build/pgembed.c
	@command -v clang >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq clang libclang-rt-14-dev >/dev/null; } || \
		{ echo "make fuzz needs clang: apt-get install -y clang libclang-rt-14-dev" >&2; exit 1; }
	@mkdir -p build/fuzz/corpus
	@cp tests/data/infobip/samples/*.json tests/fuzz/seeds/* build/fuzz/corpus/
	$(Q)clang -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -DIBCHANNEL_VERSION='"$(VERSION)"' -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $(INC) -Ibuild \
		$(shell pkg-config --cflags $(CFLAGS_PKGS)) -o build/fuzz/fuzz_network \
		tests/fuzz/fuzz_network.c $(COMMON_SRC) $(EMBED_SRC) $(LDLIBS)
	cd build/fuzz && ./fuzz_network -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
		-timeout=10 -rss_limit_mb=4096 corpus

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SHAREDIR)/sql \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(EXAMPLEDIR)
	install -m 0755 build/ibchannel $(DESTDIR)$(BINDIR)/ibchannel
	install -m 0755 build/inbound.fcgi build/reports.fcgi build/admin.fcgi $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 sql/*.sql $(DESTDIR)$(SHAREDIR)/sql/
	install -m 0644 man/ibchannel.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/ibchannel.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 0644 man/inbound.fcgi.8 man/reports.fcgi.8 man/admin.fcgi.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(EXAMPLEDIR)/
	install -m 0644 docs/queries.sql $(DESTDIR)$(DOCDIR)/

# Removes what install put in place, and the directories left empty; never
# the store. ibchannel's own directories go when empty; the shared ones
# (bin, share/man, ...) only under a DESTDIR, where install made the whole
# tree: on a live system they belong to it.
UNINSTALL_OWN =	$(LIBEXECDIR) $(SHAREDIR)/sql $(SHAREDIR) $(EXAMPLEDIR) $(DOCDIR)
UNINSTALL_SHARED = $(BINDIR) $(PREFIX)/lib $(MANDIR)/man1 $(MANDIR)/man7 $(MANDIR)/man8 $(MANDIR) \
		$(PREFIX)/share/doc $(PREFIX)/share $(PREFIX)
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ibchannel
	rm -f $(DESTDIR)$(LIBEXECDIR)/inbound.fcgi $(DESTDIR)$(LIBEXECDIR)/reports.fcgi \
		$(DESTDIR)$(LIBEXECDIR)/admin.fcgi
	rm -f $(addprefix $(DESTDIR)$(SHAREDIR)/sql/,$(notdir $(wildcard sql/*.sql)))
	rm -f $(DESTDIR)$(MANDIR)/man1/ibchannel.1 $(DESTDIR)$(MANDIR)/man7/ibchannel.7 \
		$(DESTDIR)$(MANDIR)/man8/inbound.fcgi.8 \
		$(DESTDIR)$(MANDIR)/man8/reports.fcgi.8 $(DESTDIR)$(MANDIR)/man8/admin.fcgi.8
	rm -f $(addprefix $(DESTDIR)$(EXAMPLEDIR)/,$(notdir $(EXAMPLES)))
	rm -f $(DESTDIR)$(DOCDIR)/queries.sql
	@for d in $(addprefix $(DESTDIR),$(UNINSTALL_OWN)); do \
		[ ! -d "$$d" ] || rmdir "$$d" 2>/dev/null || echo "kept $$d (not empty)"; \
	done
	@if [ -n "$(DESTDIR)" ]; then \
		for d in $(UNINSTALL_SHARED); do rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done; \
		p="$(PREFIX)"; \
		while p=$$(dirname "$$p"); [ "$$p" != / ] && rmdir "$(DESTDIR)$$p" 2>/dev/null; do :; done; \
	fi

# The Debian package: build/deb/ibchannel_VERSION_ARCH.deb, made by
# dpkg-buildpackage (debhelper, debian/) from a copy of this tree in
# build/deb/, so that nothing is written outside build/; then lintian,
# which must find no error and no warning that debian/ does not explain
# (make deb LINTIAN= skips it). DEB_JOBS compilers at once.
DEB_JOBS ?=	2
LINTIAN ?=	lintian
DEB_SRC =	build/deb/ibchannel-$(VERSION)
deb: deps
	@rm -rf build/deb && mkdir -p $(DEB_SRC)
	$(Q)tar -cf - --exclude=./build --exclude=./var --exclude=./.git . | tar -xf - -C $(DEB_SRC)
	$(Q)cd $(DEB_SRC) && DEB_BUILD_OPTIONS="nocheck parallel=$(DEB_JOBS)" \
		dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 40 ../build.log >&2; echo "dpkg-buildpackage failed; see build/deb/build.log" >&2; exit 1; }
	$(Q)if [ -n "$(LINTIAN)" ]; then $(LINTIAN) --fail-on error,warning build/deb/ibchannel_*.deb; fi
	@ls build/deb/ibchannel_*.deb

clean:
	rm -rf build

.PHONY: all unit deps test run bench bench-compare fuzz install uninstall deb clean
.PRECIOUS: build/obj/%.o build/asan/obj/%.o
