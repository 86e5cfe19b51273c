/*
** sim_queueing.c - closed forms of M/M/c and M/D/1
** (see sim_queueing.h). Erlang C is computed through the Erlang B recursion
** B(k) = a B(k-1) / (k + a B(k-1)), which never forms a^c or c! and so stays
** accurate for large c.
*/
#include "sim/sim_queueing.h"

#include <math.h>

double sim_erlang_c(int c, double lambda, double mu)
{
    if (c < 1 || !(lambda >= 0) || !(mu > 0)) return NAN;
    double a = lambda / mu, rho = a / c;
    if (rho >= 1) return NAN;
    double b = 1.0;
    for (int k = 1; k <= c; k++) b = a * b / (k + a * b);
    return b / (1.0 - rho * (1.0 - b));
}

double sim_mmc_sojourn(int c, double lambda, double mu)
{
    double pw = sim_erlang_c(c, lambda, mu);
    if (isnan(pw)) return NAN;
    return pw / (c * mu - lambda) + 1.0 / mu;
}

double sim_md1_sojourn(double lambda, double mu)
{
    if (!(lambda >= 0) || !(mu > 0) || lambda >= mu) return NAN;
    double rho = lambda / mu;
    return rho / (2.0 * mu * (1.0 - rho)) + 1.0 / mu;
}
