#pragma once

#include <QtGlobal>

class QProcess;

// What every real server a test starts (canary-gateway, haproxy, Prometheus) needs alike.

// A port on 127.0.0.1 that was free a moment ago; 0 when none could be had.
quint16 freeLocalPort();

// Makes `process`, once started, die with the test process: a test that crashes must not leave
// its server behind, holding CTest's output pipe open so that the whole run waits for it forever.
void dieWithTest(QProcess &process);

// Kills `process` if it runs and waits until it has ended.
void killAndWait(QProcess &process);
