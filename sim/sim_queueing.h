/*
** sim_queueing.h - closed-form results of classic queues, used to validate
** the simulator where the truth is known. Rates are per second, times in
** seconds; every function returns NAN when the queue is unstable (rho >= 1)
** or an argument is out of range.
**
**   M/M/1   W = 1/(mu - lambda),            L = rho/(1 - rho)
**   M/M/c   Erlang C: P(wait) = C(c, a), a = lambda/mu,
**           Wq = C/(c mu - lambda),         W = Wq + 1/mu
**   M/D/1   Pollaczek-Khinchine: Wq = rho/(2 mu (1 - rho)), W = Wq + 1/mu
** L = lambda W for all of them (Little's law).
*/
#ifndef SIM_QUEUEING_H
#define SIM_QUEUEING_H

/* Probability that an arrival waits in M/M/c (Erlang C). */
double sim_erlang_c(int c, double lambda, double mu);
/* Mean time in system (wait + service). */
double sim_mmc_sojourn(int c, double lambda, double mu);
double sim_md1_sojourn(double lambda, double mu);

#endif
